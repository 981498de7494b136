import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { eventually } from "./eventually.js";

// dist/test/support/ -> repository root -> proto/
const protoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "proto");

/** A message of ExecSessionResponse as grpc-js decodes it (enums as names, oneof case in `output`). */
export interface SessionAnswer {
  output: "started" | "stdout" | "stderr" | "ended";
  started?: { session_id: string; command: string[]; tty: boolean; simulated: boolean; idle_timeout: number; total_timeout: number };
  stdout?: Buffer;
  stderr?: Buffer;
  ended?: { reason: string; exit_code: number; message: string };
}

/** The ExecSessionService client of @grpc/grpc-js, from the proto files as any gRPC user would load them. */
export function loadExecSessionClient(grpcUrl: string): grpc.Client {
  const definition = protoLoader.loadSync(join(protoDir, "tapis/pods/v1/exec_session_service.proto"), {
    includeDirs: [protoDir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const Service = loaded.tapis.pods.v1.ExecSessionService as grpc.ServiceClientConstructor;
  return new Service(grpcUrl.replace(/^https?:\/\//, ""), grpc.credentials.createInsecure());
}

/**
 * One session over grpc-js: writes requests, collects every answer, and
 * says how the call ended (its gRPC status).
 */
export class GrpcExecSession {
  readonly answers: SessionAnswer[] = [];
  private readonly call: grpc.ClientDuplexStream<object, SessionAnswer>;
  private status: grpc.StatusObject | null = null;
  private error: grpc.ServiceError | null = null;

  constructor(client: grpc.Client, token: string | undefined, first: object) {
    const metadata = new grpc.Metadata();
    if (token) metadata.set("x-tapis-token", token);
    this.call = (client as any).ExecSession(metadata) as grpc.ClientDuplexStream<object, SessionAnswer>;
    this.call.on("data", (answer: SessionAnswer) => this.answers.push(answer));
    this.call.on("status", (status: grpc.StatusObject) => (this.status = status));
    this.call.on("error", (error: grpc.ServiceError) => (this.error = error));
    this.call.write(first);
  }

  write(request: object): void {
    this.call.write(request);
  }

  /** Writes `request` and resolves once grpc-js has sent it on. */
  send(request: object): Promise<void> {
    return new Promise((resolve) => this.call.write(request, () => resolve()));
  }

  /** Ends the request stream (the command's stdin closes). */
  end(): void {
    this.call.end();
  }

  /** Goes away without a word, as a client whose connection drops. */
  cancel(): void {
    this.call.cancel();
  }

  /** Stops reading answers: the service's windows fill up and hold. */
  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  /** Everything the command wrote to stdout so far, as text. */
  stdout(): string {
    return Buffer.concat(this.answers.flatMap((a) => (a.output === "stdout" && a.stdout ? [a.stdout] : []))).toString("utf8");
  }

  stderr(): string {
    return Buffer.concat(this.answers.flatMap((a) => (a.output === "stderr" && a.stderr ? [a.stderr] : []))).toString("utf8");
  }

  /** Bytes of stdout received so far. */
  stdoutBytes(): number {
    return this.answers.reduce((sum, a) => sum + (a.output === "stdout" && a.stdout ? a.stdout.length : 0), 0);
  }

  started(timeoutMs = 15_000): Promise<NonNullable<SessionAnswer["started"]>> {
    return eventually("the session to start", async () => this.failIfClosed() ?? this.answers.find((a) => a.output === "started")?.started, timeoutMs);
  }

  /** Waits until stdout matches `pattern`; returns stdout. */
  waitForStdout(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return eventually(`stdout to match ${pattern} (so far ${JSON.stringify(this.stdout().slice(-300))})`, async () => pattern.test(this.stdout()) && this.stdout(), timeoutMs);
  }

  waitForStderr(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return eventually(`stderr to match ${pattern} (so far ${JSON.stringify(this.stderr().slice(-300))})`, async () => pattern.test(this.stderr()) && this.stderr(), timeoutMs);
  }

  /** The `ended` answer, once the call finished. */
  async ended(timeoutMs = 15_000): Promise<NonNullable<SessionAnswer["ended"]>> {
    const status = await this.finished(timeoutMs);
    if (status.code !== grpc.status.OK) throw new Error(`the call failed: ${grpc.status[status.code]} ${status.details}`);
    const last = this.answers.at(-1);
    if (last?.output !== "ended" || !last.ended) throw new Error(`the last answer is no 'ended': ${JSON.stringify(last)}`);
    return last.ended;
  }

  /** The call's final status. */
  finished(timeoutMs = 15_000): Promise<grpc.StatusObject> {
    return eventually("the call to finish", async () => this.status ?? undefined, timeoutMs);
  }

  /** The call's error, once it failed. */
  failure(timeoutMs = 15_000): Promise<grpc.ServiceError> {
    return eventually("the call to fail", async () => this.error ?? undefined, timeoutMs);
  }

  private failIfClosed(): undefined {
    if (this.error) throw new Error(`the call failed: ${grpc.status[this.error.code]} ${this.error.details}`);
    return undefined;
  }
}
