import { ApiRouter } from '@finance/shared';
import { REVOCATION_PAGE_SIZE } from '../data/session-revocations';
import type { AuthContext, AuthParts } from '../parts';
import { revocationFeedQuery, revocationFeedSchema } from './schemas';

/**
 * Routes for other parts of the system inside the cluster. No public prefix: the gateway does not
 * route `/internal/*`, and it must stay unreachable from outside the cluster (NetworkPolicy).
 */
export function internalRouter(context: AuthContext, parts: AuthParts): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const { revocations } = parts;

  api.get(
    '/internal/session-revocations',
    {
      summary: 'Session revocations since a seq (cluster-internal; not routed by the gateway)',
      description:
        'For the gateway, which has no database. A row means: from now on, access tokens of `user_id` whose ' +
        '`sv` claim is lower than `session_version` are invalid. Written in the transaction of every bump ' +
        '(password change, logout-all, deactivation, role change, deletion). Rows come in seq order, at most ' +
        `${REVOCATION_PAGE_SIZE} per call; page on with \`after=last_seq\`. Rows older than \`retention_seconds\` ` +
        '(access-token lifetime + 60 s) are pruned: no token they could stop is still valid. No token needed: ' +
        'it must only be reachable inside the cluster.',
      tags: ['internal'],
      auth: false,
      query: revocationFeedQuery,
      responses: {
        200: { description: 'A page of revocations', schema: revocationFeedSchema },
        400: { description: '`after` is not a non-negative integer' },
      },
    },
    async ({ query }, _req, res) => {
      res.set('Cache-Control', 'no-store');
      return revocations.page(query.after);
    },
  );

  return api;
}
