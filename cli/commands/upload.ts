import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { escapePath } from "../http/pods-client.js";
import { render } from "../output/render.js";
import { commandLine, localFile } from "../transfer/local-file.js";
import { uploadMultipart } from "../transfer/multipart-upload.js";
import { createTransferProgress } from "../transfer/transfer-progress.js";

export function registerUpload(program: Command): void {
  program
    .command("upload")
    .description("copy a local file into a running pod's container")
    .argument("<pod_id>", "the pod (it must be AVAILABLE)")
    .argument("<file>", "the local file")
    .argument("<dest_path>", "absolute path of the file inside the container")
    .option("-q, --quiet", "no progress report")
    .addHelpText(
      "after",
      `
Progress goes to standard error: a bar on a terminal, plain lines otherwise.
The file lives in the container only: it is gone after a restart.

Example:
  pods upload mydb ./init.sql /tmp/init.sql`,
    )
    .action(async (podId: string, path: string, destPath: string, options: { quiet?: boolean }, command: Command) => {
      const context = await CommandContext.of(command);
      const file = await localFile(path);
      const answer = await uploadMultipart({
        client: await context.client(),
        path: `/v3/pods/${escapePath(podId)}/upload_to_pod`,
        fields: { dest_path: destPath },
        fileField: "file",
        file,
        progress: createTransferProgress({ label: `upload ${file.name}`, totalBytes: file.size, stream: process.stderr, enabled: !options.quiet }),
        retryHint: `run \`${commandLine(["pods", ...process.argv.slice(2)])}\` again to send it anew`,
      });
      // The envelope's message says what was written; its result, where (the upstream answer).
      process.stdout.write(render(context.output, answer.result, () => answer.message));
    });
}
