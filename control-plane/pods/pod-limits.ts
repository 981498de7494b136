/** Bounds of what one pod may ask for, and of how soon it may be stopped. */
export interface PodLimits {
  minTimeToStopSeconds: number;
  /** Millicpus, for cpu_request and cpu_limit. */
  cpu: { min: number; max: number };
  /** MiB, for mem_request and mem_limit. */
  memoryMiB: { min: number; max: number };
  maxGpus: number;
  /** MiB, for ephemeral_storage_request and ephemeral_storage_limit. */
  ephemeralStorageMiB: { min: number; max: number };
}

/** A tenant's own bounds, where they differ from the site's. */
export interface TenantBounds {
  min_cpu?: number;
  max_cpu?: number;
  min_memory_mb?: number;
  max_memory_mb?: number;
  max_gpus?: number;
  max_ephemeral_storage_mb?: number;
}

export const tenantBoundNames: readonly (keyof TenantBounds)[] = ["min_cpu", "max_cpu", "min_memory_mb", "max_memory_mb", "max_gpus", "max_ephemeral_storage_mb"];

/** The site's limits and the tenants that have their own. */
export interface SiteLimits {
  site: PodLimits;
  tenants: Record<string, TenantBounds>;
}

/**
 * Upstream's bounds (250–6000 millicpus, 256–12288 MiB of memory), one GPU
 * (the shared clusters upstream serves give out single GPUs) and up to
 * 100 GiB of ephemeral storage.
 */
export const defaultPodLimits: PodLimits = {
  minTimeToStopSeconds: 300,
  cpu: { min: 250, max: 6000 },
  memoryMiB: { min: 256, max: 12_288 },
  maxGpus: 1,
  ephemeralStorageMiB: { min: 1, max: 102_400 },
};

/** The limits that hold for pods of `tenantId`. */
export function limitsFor(limits: SiteLimits, tenantId: string): PodLimits {
  const own = limits.tenants[tenantId];
  if (!own) return limits.site;
  const site = limits.site;
  return {
    ...site,
    cpu: { min: own.min_cpu ?? site.cpu.min, max: own.max_cpu ?? site.cpu.max },
    memoryMiB: { min: own.min_memory_mb ?? site.memoryMiB.min, max: own.max_memory_mb ?? site.memoryMiB.max },
    maxGpus: own.max_gpus ?? site.maxGpus,
    ephemeralStorageMiB: { ...site.ephemeralStorageMiB, max: own.max_ephemeral_storage_mb ?? site.ephemeralStorageMiB.max },
  };
}
