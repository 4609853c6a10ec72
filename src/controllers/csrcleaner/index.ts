// The CSR cleaner (pkg/controller/certificates/cleaner): every hour, CertificateSigningRequests that
// were issued (approved, with a certificate) or denied or failed more than an hour ago, pending ones
// older than 24 hours, and those whose certificate has expired are deleted.
import { X509Certificate } from 'node:crypto';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import type { Timer } from '../../machinery/clock.ts';
import { isNotFound } from '../../machinery/errors.ts';

export const POLLING_INTERVAL_MS = 60 * 60_000;
export const APPROVED_EXPIRATION_MS = 60 * 60_000;
export const DENIED_EXPIRATION_MS = 60 * 60_000;
export const FAILED_EXPIRATION_MS = 60 * 60_000;
export const PENDING_EXPIRATION_MS = 24 * 60 * 60_000;

/** When a condition was last updated (lastUpdateTime, else lastTransitionTime, else the CSR's creation). */
function conditionTime(csr: Obj, c: Obj): number {
  for (const t of [c.lastUpdateTime, c.lastTransitionTime, csr.metadata?.creationTimestamp]) {
    const ms = Date.parse(t ?? '');
    if (Number.isFinite(ms)) return ms;
  }
  return 0;
}

function certificateExpired(csr: Obj, now: number): boolean {
  const b64 = csr.status?.certificate;
  if (!b64) return false;
  try {
    const cert = new X509Certificate(Buffer.from(b64, 'base64'));
    return Date.parse(cert.validTo) < now;
  } catch {
    return false;
  }
}

/** Whether the cleaner deletes this CSR now. */
export function shouldDelete(csr: Obj, now: number): boolean {
  const conds: Obj[] = csr.status?.conditions ?? [];
  const issued = !!csr.status?.certificate;
  if (conds.length === 0) {
    const created = Date.parse(csr.metadata?.creationTimestamp ?? '');
    return Number.isFinite(created) && now - created > PENDING_EXPIRATION_MS;
  }
  for (const c of conds) {
    const age = now - conditionTime(csr, c);
    if (c.type === 'Approved' && issued && age > APPROVED_EXPIRATION_MS) return true;
    if (c.type === 'Denied' && age > DENIED_EXPIRATION_MS) return true;
    if (c.type === 'Failed' && age > FAILED_EXPIRATION_MS) return true;
    if (c.type === 'Approved' && issued && certificateExpired(csr, now)) return true;
  }
  return false;
}

export class CSRCleanerController implements Controller {
  readonly name = 'csrcleaner';
  #ctx: ControllerContext;
  #csrs: Informer;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#csrs = ctx.informers.informer('certificates.k8s.io', 'certificatesigningrequests');
  }

  start(): void {
    const loop = () => {
      if (this.#stopped) return;
      void this.clean();
      this.#timer = this.#ctx.clock.after(POLLING_INTERVAL_MS, loop);
    };
    void this.#csrs.synced().then(loop);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** One pass over every CSR; returns the names it deleted. */
  async clean(): Promise<string[]> {
    const now = this.#ctx.clock.now();
    const deleted: string[] = [];
    for (const csr of this.#csrs.list()) {
      if (!shouldDelete(csr, now)) continue;
      try {
        await this.#ctx.client.resource('certificates.k8s.io', 'certificatesigningrequests').delete(csr.metadata.name, { preconditions: { uid: csr.metadata.uid } });
        deleted.push(csr.metadata.name);
      } catch (e) {
        if (!isNotFound(e)) continue;
      }
    }
    return deleted;
  }
}

export const csrCleanerController: ControllerFactory = (ctx) => new CSRCleanerController(ctx);
