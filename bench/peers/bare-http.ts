import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The peer of the GET benchmark: a bare node:http server answering every
 * request with the same bytes the service answers a GET of a pod with (the
 * file named), so the two differ only in what the service does per request.
 * Prints {"url"} when listening. Usage: node dist/bench/peers/bare-http.js <body file>
 */
async function main(): Promise<void> {
  const body = await readFile(process.argv[2]!);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }) + "\n");
  process.once("SIGTERM", () => server.close(() => process.exit(0)));
  server.closeIdleConnections();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
