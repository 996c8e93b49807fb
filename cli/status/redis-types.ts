// What `nms status` reports of Redis Sentinel (cli/status/redis-topology.ts collects it).

export interface SentinelAnswer {
  host: string;
  ok: boolean;
  error?: string;
  /** `address:port` of the master this sentinel follows. */
  master?: string;
  /** The sentinel's flags for the master (`master`, `s_down`, `o_down`, ...). */
  master_flags?: string;
  /** SENTINEL CKQUORUM said a failover can be authorised. */
  quorum_ok?: boolean;
  other_sentinels?: number;
}

export interface ReplicaState {
  address: string;
  port: number;
  /** Inventory host at that address, null when none. */
  host: string | null;
  /** `online` when replicating. */
  state: string;
  lag_s: number | null;
  lag_bytes: number | null;
}

export interface RedisTopology {
  /** Inventory host of the master the sentinels agree on (null: none or not in the inventory). */
  master: string | null;
  master_address: string | null;
  replicas: ReplicaState[];
  sentinels: SentinelAnswer[];
}
