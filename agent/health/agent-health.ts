import type { Logger } from "../../shared/logging/logger.js";

/** How the agent is doing: healthy unless some part has a problem. */
export interface AgentHealthState {
  healthy: boolean;
  /** One line per part that does not work, e.g. "kubernetes pod watch down since <time>: <error>". */
  problems: string[];
  /** When the first of the current problems began; null while healthy. */
  unhealthySince: Date | null;
}

/**
 * The agent's health, from the problems its parts report. Logs each part
 * going down (warn) and coming back (info), and tells `onChange` whenever
 * the state changes, so the control plane's cluster view follows it.
 */
export class AgentHealth {
  private readonly problems = new Map<string, string>();
  private unhealthySince: Date | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly onChange: (state: AgentHealthState) => void,
  ) {}

  /** Records what is wrong with `part`, or with null that it works again. */
  set(part: string, problem: string | null): void {
    const before = this.problems.get(part) ?? null;
    if (before === problem) return;
    if (problem === null) {
      this.problems.delete(part);
      this.logger.info("agent part works again", { part, healthy: this.problems.size === 0 });
    } else {
      if (before === null) this.logger.warn("agent part stopped working; the agent reports itself unhealthy", { part, problem });
      this.problems.set(part, problem);
    }
    if (this.problems.size === 0) this.unhealthySince = null;
    else this.unhealthySince ??= new Date();
    this.onChange(this.state());
  }

  state(): AgentHealthState {
    return { healthy: this.problems.size === 0, problems: [...this.problems.values()], unhealthySince: this.unhealthySince };
  }
}
