// The agent's version, as the registry, poller_cluster and doctor report it.
export const AGENT_VERSION = '0.1.0';
