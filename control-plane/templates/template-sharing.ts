import type { Caller } from "../auth/caller.js";
import type { SharedKind } from "../authz/permission-service.js";
import { InvalidArgumentError, PermissionDeniedError } from "../errors/domain-errors.js";
import { siteWideGrantee, templateRepository } from "../storage/template-repository.js";

const tenantGrantee = /^tenant\.[A-Za-z0-9_-]{1,64}$/;

/**
 * How templates are shared: with users of their tenant at any level, and
 * with every user of a tenant ("tenant.<id>") or of every tenant ("**") at
 * READ, which only service administrators may grant.
 */
export const templateSharing: SharedKind = {
  lockIfExists: async (tx, tenantId, templateId) => (await templateRepository.findForUpdate(tx, tenantId, templateId)) !== null,
  isGroupGrantee(caller: Caller, user: string, level: string): boolean {
    if (user !== siteWideGrantee && !user.startsWith("tenant.")) return false;
    if (user !== siteWideGrantee && !tenantGrantee.test(user)) throw new InvalidArgumentError("user", "tenant-wide grants read tenant.<tenant_id>");
    if (!caller.serviceAdmin) throw new PermissionDeniedError(`only service administrators may grant ${user}`);
    if (level !== "READ") throw new InvalidArgumentError("level", `${user} may only hold READ`);
    return true;
  },
};
