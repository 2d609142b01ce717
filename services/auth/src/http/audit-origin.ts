import type { Request } from 'express';
import type { AuditContext, AuditOrigin } from '../domain/audit';

/**
 * Where a request came from, for the audit log: `req.ip` is the client address the gateway saw
 * (the shared forwarding guard believes X-Forwarded-For only from the gateway), and the user agent.
 */
export function auditOrigin(req: Request): AuditOrigin {
  return { clientIp: req.ip ?? req.socket.remoteAddress, userAgent: req.get('user-agent') };
}

/** The caller acting, from where. */
export function actingAs(actorId: string, req: Request): AuditContext {
  return { actorId, origin: auditOrigin(req) };
}
