import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { LevelName, ObjectKind } from "../storage/entities/permission-entity.js";

/** The object a call's access rule named, and the level the access interceptor found the caller holds on it. */
export interface CheckedObject {
  kind: ObjectKind;
  id: string;
  level: LevelName;
}

export const checkedObjectKey = createContextKey<CheckedObject | undefined>(undefined, { description: "object checked for this call" });

/**
 * The level the caller was found to hold on this object when the call was
 * authorised, if the access rule checked this very object: a handler that
 * needs it again (who may see credentials) need not read it again.
 */
export function levelCheckedFor(ctx: HandlerContext, kind: ObjectKind, id: string): LevelName | undefined {
  const checked = ctx.values.get(checkedObjectKey);
  return checked && checked.kind === kind && checked.id === id ? checked.level : undefined;
}
