/**
 * Upstream's defaults of a probe's unset fields (models_base.HealthcheckProbe;
 * an HTTP GET without a port goes to 5000, as its Kubernetes builder has it).
 * The control plane shows them in results; agents build probes with them.
 */
export const probeDefaults = {
  httpGetPort: 5000,
  httpGetScheme: "HTTP",
  initialDelaySeconds: 10,
  periodSeconds: 10,
  timeoutSeconds: 5,
  failureThreshold: 3,
  successThreshold: 1,
} as const;
