import type { App } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { AuditPage, AuditQuery, OwnAuditQuery } from './schema.ts';
import { listAuditEvents } from './service.ts';

const bearer = [{ bearer: [] }];

export function auditRoutes(app: App, ctx: AuthContext) {
  app.get(
    '/user/audit-events',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['audit'],
        operationId: 'listOwnAuditEvents',
        summary: "The signed-in user's security events, newest first",
        description:
          'Sign-ins (also failed ones), sign-outs, password, email, MFA and role changes, ended ' +
          'sessions. Kept AUDIT_RETENTION_DAYS (400 by default).',
        security: bearer,
        querystring: OwnAuditQuery,
        response: { 200: AuditPage },
      },
    },
    async (request) =>
      listAuditEvents(ctx, { ...request.query, user_id: request.principal!.userId }),
  );

  app.get(
    '/audit-events',
    {
      // Authorised before validation, so a caller without the permission learns nothing more.
      onRequest: app.authorize('audit:read'),
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        errors: ['forbidden'],
        summary: 'Every security event, newest first, filtered (permission audit:read)',
        security: bearer,
        querystring: AuditQuery,
        response: { 200: AuditPage },
      },
    },
    async (request) => listAuditEvents(ctx, request.query),
  );
}
