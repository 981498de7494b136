import { create, fromBinary, toBinary, type DescMessage, type Message, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  ExecSessionRequestSchema,
  ExecSessionResponseSchema,
  type ExecSessionRequest,
  type ExecSessionResponse,
} from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { decodeMessageJson, RequestShapeError } from "../rest-json/rest-json-decoder.js";
import { encodeField } from "../rest-json/rest-json-encoder.js";

/*
 * The frames of an exec session over a WebSocket: each WebSocket message is
 * one ExecSessionRequest (client to service) or ExecSessionResponse (service
 * to client), in the encoding of the subprotocol the two agreed on.
 */

/** Text frames, each a JSON object naming the one field it sets, as REST names fields ("stdin", "stdin_closed"); bytes in base64, enums by short name. */
export const jsonFramesProtocol = "tapis.pods.exec.v1.json";
/** Binary frames, each a message in protobuf's binary encoding. */
export const protoFramesProtocol = "tapis.pods.exec.v1.proto";
/** How Kubernetes clients pass a bearer token where no header can be set (browsers): `<prefix><base64url of the token>`. */
export const bearerProtocolPrefix = "base64url.bearer.authorization.k8s.io.";

export type FrameEncoding = "json" | "proto";

export function encodingOf(protocol: string): FrameEncoding {
  return protocol === protoFramesProtocol ? "proto" : "json";
}

/** The subprotocol entry carrying `token`. */
export function bearerProtocol(token: string): string {
  return bearerProtocolPrefix + Buffer.from(token, "utf8").toString("base64url");
}

/** The token among the subprotocols a client offers, if any. */
export function tokenOfProtocols(offered: Iterable<string>): string | undefined {
  for (const protocol of offered) {
    if (protocol.startsWith(bearerProtocolPrefix)) return Buffer.from(protocol.slice(bearerProtocolPrefix.length), "base64url").toString("utf8");
  }
  return undefined;
}

export function encodeResponse(message: ExecSessionResponse, encoding: FrameEncoding): string | Uint8Array {
  return encoding === "proto" ? toBinary(ExecSessionResponseSchema, message) : JSON.stringify(oneJsonField(ExecSessionResponseSchema, message, "output"));
}

/** A client's frame; throws RequestShapeError naming what is wrong with it. */
export function decodeRequest(data: Uint8Array, isBinary: boolean, encoding: FrameEncoding): ExecSessionRequest {
  return decodeFrame(ExecSessionRequestSchema, data, isBinary, encoding);
}

export function encodeRequest(message: MessageInitShape<typeof ExecSessionRequestSchema>, encoding: FrameEncoding): string | Uint8Array {
  const request = create(ExecSessionRequestSchema, message);
  return encoding === "proto" ? toBinary(ExecSessionRequestSchema, request) : JSON.stringify(oneJsonField(ExecSessionRequestSchema, request, "input"));
}

/** The service's frame, for clients; throws RequestShapeError when it is malformed. */
export function decodeResponse(data: Uint8Array, isBinary: boolean, encoding: FrameEncoding): ExecSessionResponse {
  return decodeFrame(ExecSessionResponseSchema, data, isBinary, encoding);
}

function decodeFrame<Desc extends DescMessage>(desc: Desc, data: Uint8Array, isBinary: boolean, encoding: FrameEncoding): MessageShape<Desc> {
  if (encoding === "proto") {
    if (!isBinary) throw new RequestShapeError(["frame: must be binary with the protobuf subprotocol"]);
    try {
      return fromBinary(desc, data);
    } catch (error) {
      throw new RequestShapeError([`frame: not a valid ${desc.name} (${error instanceof Error ? error.message : String(error)})`]);
    }
  }
  if (isBinary) throw new RequestShapeError(["frame: must be text with the JSON subprotocol"]);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data).toString("utf8"));
  } catch {
    throw new RequestShapeError(["frame: not a JSON object"]);
  }
  const problems: string[] = [];
  const init = decodeMessageJson(desc, json, "", problems);
  if (problems.length > 0) throw new RequestShapeError(problems);
  return create(desc, init as MessageInitShape<Desc>);
}

/**
 * A frame as JSON: every field set (a first request's opening fields, or the
 * one member of the oneof), by its REST name.
 */
function oneJsonField(desc: DescMessage, message: Message, oneof: string): Record<string, unknown> {
  const values = message as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const selected = values[oneof] as { case?: string; value?: unknown };
  for (const field of desc.fields) {
    if (field.oneof) {
      if (selected.case === field.localName) out[field.name] = encodeField(field, selected.value);
      continue;
    }
    const value = values[field.localName];
    if (value === "" || value === 0 || value === false || (Array.isArray(value) && value.length === 0)) continue;
    out[field.name] = encodeField(field, value);
  }
  return out;
}
