import type { ProblemList } from "../errors/domain-errors.js";
import { validateDescription } from "../pods/pod-rules.js";

/** Words that name other paths under /pods/templates and so cannot be template ids. */
const reservedTemplateIds = new Set(["tags"]);
const templateIdPattern = /^[a-z][a-z0-9]{2,63}$/;
const tagPattern = /^[A-Za-z0-9][A-Za-z0-9.-]{0,79}$/;
const maxMetatags = 32;

/** The fields of a template a user sets. */
export interface TemplateFields {
  description?: string;
  metatags?: string[];
  archive_message?: string;
}

export function validateTemplateId(templateId: string, problems: ProblemList): void {
  if (!templateIdPattern.test(templateId)) {
    problems.add("template_id", `must be 3-64 lowercase letters and digits, starting with a letter (got ${JSON.stringify(templateId)})`);
  } else if (reservedTemplateIds.has(templateId)) {
    problems.add("template_id", `'${templateId}' is reserved by the API; choose another id`);
  }
}

export function validateTemplateFields(fields: TemplateFields, problems: ProblemList): void {
  if (fields.description !== undefined) validateDescription(fields.description, problems);
  if (fields.archive_message !== undefined) validateDescription(fields.archive_message, problems, "archive_message");
  if (fields.metatags !== undefined) {
    if (fields.metatags.length > maxMetatags) problems.add("metatags", `at most ${maxMetatags} entries`);
    fields.metatags.forEach((tag, index) => {
      if (tag.length < 1 || tag.length > 64) problems.add(`metatags[${index}]`, "must be 1-64 characters");
      else validateDescription(tag, problems, `metatags[${index}]`);
    });
  }
}

/** A tag name: the part before "@" in "tag@timestamp". */
export function validateTagName(tag: string, problems: ProblemList): void {
  if (!tagPattern.test(tag)) problems.add("tag", `must be 1-80 letters, digits, '-' and '.', starting with a letter or digit (got ${JSON.stringify(tag)})`);
}

export function validateCommitMessage(message: string, problems: ProblemList): void {
  if (message === "") problems.add("commit_message", "is required");
  else validateDescription(message, problems, "commit_message");
}
