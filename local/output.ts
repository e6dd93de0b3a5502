/**
 * What `npm start` prints of the service's own log without `--verbose`: the lines an operator acts on. The handlers
 * log structured JSON (Powertools); serverless-offline prints it among its own lines.
 */

interface LogLine {
  message?: unknown;
  source?: unknown;
  tenantId?: unknown;
  verdict?: unknown;
  status?: unknown;
  reason?: unknown;
  callId?: unknown;
  state?: unknown;
  tries?: unknown;
}

function jsonOf(line: string): LogLine | undefined {
  const start = line.indexOf('{');
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(line.slice(start));
    return parsed !== null && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '-');

/**
 * A webhook delivery the service refused (lib/http/webhook-delivery-log.ts), as one line: source and tenant, the verdict, the
 * status the sender got and why (`signature_mismatch`, `timestamp_out_of_window`, `unknown_source`, `invalid_request`...).
 * Anything else: undefined.
 */
export function refusalLine(line: string): string | undefined {
  const log = jsonOf(line);
  if (log?.message !== 'Webhook delivery refused') return undefined;
  const call = typeof log.callId === 'string' ? `  call ${log.callId}` : '';
  return `[hooks] ${text(log.verdict)} ${text(log.source)}/${text(log.tenantId)}  HTTP ${text(log.status)} ${text(log.reason)}${call}`;
}

/** What the local reconciler did with a call (local/stack.ts, onReconcileLog): settled from its CDR, or flagged. */
export function reconcileLine(line: string): string | undefined {
  const log = jsonOf(line);
  if (line.includes(' Call reconciled ')) return `[reconcile] ${text(log?.callId)} settled from the PBX's CDR: ${text(log?.state)}`;
  if (line.includes(' Call left unknown and flagged'))
    return `[reconcile] ${text(log?.callId)} flagged: no CDR after ${text(log?.tries)} searches (it stays unknown: c2c calls list <tenant> --state unknown)`;
  return undefined;
}
