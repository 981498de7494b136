import { InitialSchema1764028800000 } from "./0001-initial-schema.js";
import { AgentPresence1764115200000 } from "./0002-agent-presence.js";
import { Clusters1764201600000 } from "./0003-clusters.js";

/** Every migration, oldest first. Append; never edit one that has shipped. */
export const allMigrations = [InitialSchema1764028800000, AgentPresence1764115200000, Clusters1764201600000];
