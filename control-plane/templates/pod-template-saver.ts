import type { Caller } from "../auth/caller.js";
import { levelAtLeast } from "../authz/levels.js";
import { NotFoundError, PermissionDeniedError, ProblemList } from "../errors/domain-errors.js";
import { withoutUndefined, type PodFields } from "../pods/pod-model.js";
import type { Database } from "../storage/database.js";
import type { TemplateTagRow } from "../storage/entities/template-tag-entity.js";
import { podRepository } from "../storage/pod-repository.js";
import { findTemplateFor } from "./template-access.js";
import { derivePodFields } from "./template-resolver.js";
import { validateTemplateId } from "./template-rules.js";
import type { TemplateService } from "./template-service.js";
import type { TemplateTagService } from "./template-tag-service.js";

/** The fields of a pod that make sense in a template: its definition, not the pod's own template references. */
function definitionOf(effective: PodFields): PodFields {
  const { template: _template, template_overrides: _overrides, ...definition } = effective;
  return withoutUndefined(definition);
}

/**
 * save_pod_as_template_tag: the pod's effective definition (its template
 * merged in) becomes a new tag of a template the caller may change (USER),
 * or of a new template the caller then owns.
 */
export class PodTemplateSaver {
  constructor(private readonly deps: { db: Database; now: () => number; templates: TemplateService; tags: TemplateTagService }) {}

  async save(caller: Caller, podId: string, target: { templateId: string; tag?: string; commitMessage: string }): Promise<TemplateTagRow> {
    const problems = new ProblemList();
    validateTemplateId(target.templateId, problems);
    problems.throwIfAny();
    const definition = await this.deps.db.read(async (m) => {
      const pod = await podRepository.find(m, caller.tenantId, podId);
      if (!pod) throw new NotFoundError("pod", podId);
      return definitionOf(await derivePodFields(m, pod.tenantId, pod.fields, pod.templateVersion));
    });
    const tag = { tag: target.tag, commitMessage: target.commitMessage, definition };
    await this.deps.tags.checkNewTag(caller, tag);
    return this.deps.db.transaction(async (tx) => {
      const found = await findTemplateFor(tx, caller, target.templateId);
      if (found && !levelAtLeast(found.level, "USER")) {
        throw new PermissionDeniedError(`USER permission on template '${target.templateId}' is required; you have ${found.level ?? "no permission"}`);
      }
      const template = found?.template ?? (await this.deps.templates.insertTemplate(tx, caller, target.templateId, {}, this.deps.now()));
      return this.deps.tags.insertTag(tx, caller, template, tag);
    });
  }
}
