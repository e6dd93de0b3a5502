import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { observabilityEnv } from '../config';

/**
 * CloudWatch metrics in embedded metric format: JSON lines in the function's log, turned into
 * metrics by CloudWatch without an API call (no cloudwatch:PutMetricData, nothing on the hot path).
 * Every metric is published at once (a single metric per line), so nothing waits for a flush and
 * nothing is lost when an invocation ends early. The names are the ones the alarms in
 * resources/alarms.yml watch.
 */
let built: Metrics | undefined;
/**
 * Built on the first metric published, not at module load: building Powertools' Metrics costs a few ms of every cold
 * start (BENCHMARKS.md, "Cold start, per function"), and notify publishes only when a delivery is held. (callsCreate and
 * hooks publish at every call: there it is built by the first request instead.)
 */
function metrics(): Metrics {
  built ??= new Metrics({ namespace: observabilityEnv().metricsNamespace, serviceName: 'c2c' });
  return built;
}

export const METRIC = {
  calls: 'Calls',
  pbxLatency: 'PbxLatency',
  pbxNotAllowlisted: 'PbxNotAllowlisted',
  unknownOutcomes: 'UnknownOutcomes',
  reconciled: 'CallsReconciled',
  flagged: 'CallsFlagged',
  notificationBacklog: 'NotificationBacklog',
  notificationsDeadLettered: 'NotificationsDeadLettered',
  deliveriesHeld: 'DeliveriesHeld',
} as const;

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

function publish(name: string, unit: Unit, value: number, dimensions: Record<string, string> = {}) {
  const single = metrics().singleMetric();
  if (Object.keys(dimensions).length) single.addDimensions(dimensions);
  single.addMetric(name, unit, value);
}

/** What the call paths report; an interface so the use cases can be tested without CloudWatch. */
export interface CallMetrics {
  /** One call request decided: its state and reason ("none" when it has none). */
  callOutcome(state: string, reason: string | null, source: string): void;
  /** One Click2Call GET and what the PBX answered. */
  pbxAnswer(kind: string, latencyMs: number): void;
}

export const callMetrics: CallMetrics = {
  callOutcome(state, reason, source) {
    publish(METRIC.calls, MetricUnit.Count, 1, { State: state, Reason: reason ?? 'none', Source: source });
  },
  pbxAnswer(kind, latencyMs) {
    publish(METRIC.pbxLatency, MetricUnit.Milliseconds, Math.round(latencyMs), { Answer: kind });
    // Undimensioned twins of the two answers that page someone: what the alarms watch.
    if (kind === 'not_allowlisted') publish(METRIC.pbxNotAllowlisted, MetricUnit.Count, 1);
    if (kind === 'unknown') publish(METRIC.unknownOutcomes, MetricUnit.Count, 1);
  },
};

export function reconcileMetrics(settled: number, flagged: number) {
  publish(METRIC.reconciled, MetricUnit.Count, settled);
  publish(METRIC.flagged, MetricUnit.Count, flagged);
}

export function notificationMetrics(backlog: number, deadLettered: number) {
  publish(METRIC.notificationBacklog, MetricUnit.Count, backlog);
  if (deadLettered > 0) publish(METRIC.notificationsDeadLettered, MetricUnit.Count, deadLettered);
}

/** The deliverer's own (lib/notify/engine.ts `DeliveryMetrics`). */
export const deliveryMetrics = {
  /** A delivery held because the receiver refused our credentials (a CRM connection to re-authorise): by transport, and its undimensioned twin the alarm watches. */
  held(transport: string) {
    publish(METRIC.deliveriesHeld, MetricUnit.Count, 1, { Transport: transport });
    publish(METRIC.deliveriesHeld, MetricUnit.Count, 1);
  },
};
