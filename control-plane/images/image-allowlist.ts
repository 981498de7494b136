import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError, ProblemList } from "../errors/domain-errors.js";
import { validateDescription } from "../pods/pod-rules.js";
import type { Database } from "../storage/database.js";
import type { ImageRow } from "../storage/entities/image-entity.js";
import { imageRepository } from "../storage/image-repository.js";
import { imagePatternRule, parseImagePattern, parseImageReference, patternAllows, patternKey, type ImagePattern } from "./image-reference.js";

/** Who may add to the allowlist: the variable that holds the configured entries, as added_by. */
export const configuredBy = "PODS_ALLOWED_IMAGES";
const everyTenant = "*";
const tenantIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** An entry to add, as the request gives it. */
export interface NewImage {
  image: string;
  tenants: string[];
  description: string;
}

interface Entry {
  row: ImageRow;
  pattern: ImagePattern;
}

/**
 * The image allowlist: entries from the configuration (every tenant,
 * PODS_ALLOWED_IMAGES) and entries service administrators add, each for some
 * tenants or all ("*"). An entry is an image reference or a prefix ending in
 * "*" (see patternAllows).
 */
export class ImageAllowlist {
  private readonly configured: Entry[];

  /** `configured` are valid patterns (the configuration checked them); `startedAt` dates them. */
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    configured: readonly string[],
    startedAt: number,
  ) {
    this.configured = configured.map((image) => {
      const pattern = parseImagePattern(image)!;
      return { pattern, row: { imageKey: patternKey(pattern), image, tenants: [everyTenant], description: "Allowed by the configuration.", addedBy: configuredBy, creationTs: startedAt } };
    });
  }

  /** Adds a problem on `field` unless `image` may run in pods of `tenantId`. */
  async check(m: EntityManager, tenantId: string, image: string, problems: ProblemList, field = "image"): Promise<void> {
    const reference = parseImageReference(image);
    const allowed = reference !== null && (await this.entries(m)).some((e) => appliesTo(e.row, tenantId) && patternAllows(e.pattern, reference));
    if (!allowed) {
      problems.add(field, `'${image}' is not on the image allowlist of tenant '${tenantId}'; a service administrator can allow it with POST /v3/pods/images (GET /v3/pods/images lists what is allowed)`);
    }
  }

  /** The entries that apply to the caller's tenant; service administrators see them all. */
  async list(caller: Caller): Promise<ImageRow[]> {
    const entries = await this.db.read((m) => this.entries(m));
    return entries.filter((e) => caller.serviceAdmin || appliesTo(e.row, caller.tenantId)).map((e) => e.row);
  }

  async get(caller: Caller, imageId: string): Promise<ImageRow> {
    const entry = await this.db.read((m) => this.find(m, imageId));
    if (!entry || !(caller.serviceAdmin || appliesTo(entry.row, caller.tenantId))) throw new NotFoundError("image", imageId);
    return entry.row;
  }

  /**
   * Adds entries in one transaction: all or none. A duplicate (of a stored
   * or configured entry, or of another in the request) is refused (409)
   * unless `skipDuplicates`, which leaves it out. Without tenants an entry
   * is for the administrator's own tenant.
   */
  async add(caller: Caller, images: NewImage[], skipDuplicates: boolean, fieldOf: (index: number) => string): Promise<ImageRow[]> {
    const problems = new ProblemList();
    const candidates = images.map((image, index) => this.validated(caller, image, problems.under(fieldOf(index))));
    problems.throwIfAny();
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const configured = new Set(this.configured.map((e) => e.row.imageKey));
      const stored = await imageRepository.existing(tx, candidates.map((c) => c!.imageKey));
      const added: ImageRow[] = [];
      for (const candidate of candidates as ImageRow[]) {
        const taken = configured.has(candidate.imageKey) || stored.has(candidate.imageKey) || added.some((a) => a.imageKey === candidate.imageKey);
        if (taken && skipDuplicates) continue;
        if (taken) throw new AlreadyExistsError("image", candidate.image);
        added.push({ ...candidate, creationTs: now });
      }
      await imageRepository.insert(tx, added);
      return added;
    });
  }

  async delete(imageId: string): Promise<void> {
    const pattern = parseImagePattern(imageId);
    const key = pattern ? patternKey(pattern) : null;
    if (key && this.configured.some((e) => e.row.imageKey === key)) {
      throw new FailedPreconditionError(`image '${imageId}' is allowed by the configuration (${configuredBy}); change the setting to remove it`);
    }
    const deleted = key ? await this.db.transaction((tx) => imageRepository.delete(tx, key)) : false;
    if (!deleted) throw new NotFoundError("image", imageId);
  }

  private validated(caller: Caller, image: NewImage, problems: ProblemList): ImageRow | null {
    const before = problems.problems.length;
    const pattern = image.image === "" ? null : parseImagePattern(image.image);
    if (image.image === "") problems.add("image", "is required");
    else if (!pattern) problems.add("image", imagePatternRule);
    image.tenants.forEach((tenant, index) => {
      if (tenant !== everyTenant && !tenantIdPattern.test(tenant)) problems.add(`tenants[${index}]`, "must be * or a tenant id (letters, digits, '_' and '-')");
    });
    validateDescription(image.description, problems);
    if (problems.problems.length > before || !pattern) return null;
    const tenants = image.tenants.length === 0 ? [caller.tenantId] : [...new Set(image.tenants)];
    return { imageKey: patternKey(pattern), image: image.image, tenants, description: image.description, addedBy: caller.username, creationTs: 0 };
  }

  private async find(m: EntityManager, imageId: string): Promise<Entry | undefined> {
    const pattern = parseImagePattern(imageId);
    if (!pattern) return undefined;
    const key = patternKey(pattern);
    return (await this.entries(m)).find((e) => e.row.imageKey === key);
  }

  private async entries(m: EntityManager): Promise<Entry[]> {
    const stored = (await imageRepository.list(m)).map((row) => ({ row, pattern: parseImagePattern(row.image) })).filter((e): e is Entry => e.pattern !== null);
    return [...this.configured, ...stored];
  }
}

function appliesTo(row: ImageRow, tenantId: string): boolean {
  return row.tenants.includes(everyTenant) || row.tenants.includes(tenantId);
}
