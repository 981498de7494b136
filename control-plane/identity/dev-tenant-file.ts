import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What tokens of the dev tenant must say: who issues them and for which tenant. */
export interface DevTenantRecord {
  tenantId: string;
  /** The URL the running service answers at; tokens name `<baseUrl>/v3/tokens` as issuer. */
  baseUrl: string;
}

const fileName = "tenant.json";

/** Records the dev tenant as the running service sees it, so tools can mint tokens it accepts. */
export async function writeDevTenantFile(dir: string, record: DevTenantRecord): Promise<void> {
  await writeFile(join(dir, fileName), JSON.stringify({ tenant_id: record.tenantId, base_url: record.baseUrl }) + "\n", { mode: 0o600 });
}

/** The recorded dev tenant; a clear error when the service never started with this data folder. */
export async function readDevTenantFile(dir: string): Promise<DevTenantRecord> {
  const file = join(dir, fileName);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new Error(`${file} does not exist: start the service once with this PODS_DATA_DIR (npm start), or point PODS_DATA_DIR at its data folder`);
  }
  const parsed = JSON.parse(text) as { tenant_id?: unknown; base_url?: unknown };
  if (typeof parsed.tenant_id !== "string" || typeof parsed.base_url !== "string") throw new Error(`${file} is not a dev tenant record`);
  return { tenantId: parsed.tenant_id, baseUrl: parsed.base_url };
}
