/** One segment of a path template: a literal, or a variable of one or many segments. */
type Segment = { literal: string } | { variable: string; rest: boolean };

/**
 * A google.api.http path template such as `/v3/pods/{pod_id}/logs` or
 * `/v3/pods/images/{image_id=**}` (a variable that spans the rest of the path).
 */
export class PathTemplate {
  private constructor(
    readonly source: string,
    private readonly segments: Segment[],
  ) {}

  static parse(source: string): PathTemplate {
    if (!source.startsWith("/")) throw new Error(`path template must start with '/': ${source}`);
    const segments = source
      .slice(1)
      .split("/")
      .map((part, index, all): Segment => {
        const variable = /^\{([a-z_][a-z0-9_.]*)(?:=(\*\*|\*))?\}$/.exec(part);
        if (!variable) {
          if (part.includes("{")) throw new Error(`unsupported path segment '${part}' in ${source}`);
          return { literal: part };
        }
        const rest = variable[2] === "**";
        if (rest && index !== all.length - 1) throw new Error(`'**' must be the last segment in ${source}`);
        return { variable: variable[1]!, rest };
      });
    return new PathTemplate(source, segments);
  }

  /** The variables of `parts` (decoded path segments), or null if the path does not match. */
  match(parts: string[]): Record<string, string> | null {
    const vars: Record<string, string> = {};
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      if ("literal" in segment) {
        if (parts[i] !== segment.literal) return null;
      } else if (segment.rest) {
        const remaining = parts.slice(i);
        if (remaining.length === 0 || remaining.some((p) => p === "")) return null;
        vars[segment.variable] = remaining.join("/");
        return vars;
      } else {
        if (parts[i] === undefined || parts[i] === "") return null;
        vars[segment.variable] = parts[i]!;
      }
    }
    return parts.length === this.segments.length ? vars : null;
  }

  /** Names of the request fields the path binds. */
  variables(): string[] {
    return this.segments.flatMap((s) => ("variable" in s ? [s.variable] : []));
  }

  /**
   * Orders templates so that the most specific wins: at the first segment
   * where two differ, a literal beats a variable, and a single-segment
   * variable beats a rest-of-path one.
   */
  static compareSpecificity(a: PathTemplate, b: PathTemplate): number {
    const rank = (s: Segment | undefined) => (s === undefined ? 3 : "literal" in s ? 0 : s.rest ? 2 : 1);
    for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
      const diff = rank(a.segments[i]) - rank(b.segments[i]);
      if (diff !== 0) return diff;
    }
    return 0;
  }
}

/** Splits a request path into decoded segments; `//` runs collapse (some clients send them). */
export function pathSegments(path: string): string[] | null {
  try {
    return path
      .replace(/\/{2,}/g, "/")
      .replace(/^\//, "")
      .replace(/\/$/, "")
      .split("/")
      .map((part) => decodeURIComponent(part));
  } catch {
    return null;
  }
}
