// One problem found in the cluster and the next step to take: the agent's cluster view
// (`nms-agent cluster-status`) and `nms status` both report them in this shape.

/** One problem and what to do about it. `code` + `subject` identify it (for de-duplication). */
export interface Problem {
  /** Stable name of the kind of problem (docs/status.md lists them). */
  code: string;
  /** What it is about: a host, a node, a service, a poller group. */
  subject: string;
  message: string;
  /** The next step to take. */
  fix: string;
}
