import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { escapePath } from "../http/pods-client.js";
import { podStatusLine, type PodView } from "../output/pod-views.js";
import { render } from "../output/render.js";

/**
 * Asks the service to start, stop or restart a pod and shows where the pod
 * stands. It uses the POST bindings; the GET ones exist for older clients.
 */
export async function requestLifecycle(command: Command, podId: string, verb: "start" | "stop" | "restart", query: Record<string, boolean> = {}): Promise<void> {
  const context = await CommandContext.of(command);
  const { message, result } = await (await context.client()).call<PodView>("POST", `/v3/pods/${escapePath(podId)}/${verb}`, { query });
  process.stdout.write(render(context.output, result, () => `${message}\n${podStatusLine(result)}`));
}
