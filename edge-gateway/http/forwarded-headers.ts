import type http from "node:http";
import { httpHeaderMetadata, metadataNames } from "../../shared/rpc/metadata.js";
import type { Route } from "../routing/route-table.js";
import { clientAddress, type TrustedProxies } from "./client-address.js";

/** The metadata in which the control plane names the caller it authenticated, for access logs. */
export const callerMetadata = { tenant: metadataNames.callerTenant, user: metadataNames.callerUser };

/** Headers passed through to the control plane; the gateway decides nothing about identity. */
const forwardedHeaders = [metadataNames.tapisToken, metadataNames.tapisUser, metadataNames.tapisTenant, metadataNames.tapisTrackingId];

/** The metadata of the call a request makes: the caller's headers, the request id, the client's address, and the headers the route asks for. */
export function callHeaders(req: http.IncomingMessage, route: Route, requestId: string, trusted: TrustedProxies): Headers {
  const headers = new Headers();
  for (const name of forwardedHeaders) {
    const value = req.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  headers.set(metadataNames.requestId, requestId);
  headers.set(metadataNames.clientAddress, clientAddress(req, trusted));
  for (const name of route.exchange?.requestHeaders ?? []) {
    const value = req.headers[name];
    if (value !== undefined) headers.set(httpHeaderMetadata(name), Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}
