// Builds the Fastify app: strict validation, the error handler, rate limits, OpenAPI and the routes. Tests call
// buildApp() and use app.inject(); the server adds the listener and the WebSocket gateway.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { Type } from 'typebox';
import { errorBody, errorDescriptions, errorStatus, handleError } from './errors.js';
import { createRateLimiter } from './rate-limit.js';
import { deviceRoutes } from './routes/conversations.js';
import { platformRoutes } from './routes/platform.js';
import { logRoutes } from './routes/log.js';
import { staffRoutes } from './routes/staff.js';
import type { AppServices } from './services.js';

export async function buildApp(services: AppServices, opts: { https?: { cert: Buffer; key: Buffer } } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.log,
    // Request logs carry method, route and status; never bodies or query strings (search terms, cursors).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.config.bodyLimitBytes,
    ...(opts.https ? { https: opts.https } : {}),
    // Router-level failures (bad URL encoding, over-long parameters) get the same error shape as the rest.
    frameworkErrors: (err, req, reply) => handleError(err, req, reply),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: {
      customOptions: {
        // Bad input must be refused with a 4xx, not silently fixed: no coercion, no stripping. allErrors stays off
        // (Fastify's docs: collecting every error of a hostile body is a DoS vector).
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
      },
    },
  }).withTypeProvider();

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_req, reply) => reply.status(404).send(errorBody('route_not_found', 'no such route')));

  const limiter = createRateLimiter(services.config.rateLimitPerMinute);
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/healthz')) return;
    const auth = req.headers.authorization;
    const key = auth ? `cred:${auth.slice(-24)}` : `ip:${req.ip}`;
    const r = limiter.take(key);
    if (!r.ok) {
      reply.header('retry-after', String(r.retryAfterSeconds));
      return reply.status(429).send(errorBody('rate_limited', 'too many requests'));
    }
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    if (opts.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, route: req.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Custodian',
        version: '0.1.0',
        description: `Direct messaging with accountable safety. Error codes:\n\n${Object.keys(errorStatus)
          .map((c) => `- \`${c}\` (${errorStatus[c]}): ${errorDescriptions[c] ?? ''}`)
          .join('\n')}`,
      },
      components: {
        securitySchemes: {
          platformKey: { type: 'http', scheme: 'bearer', description: 'platform API key (ck_…)' },
          userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'user device token' },
          staffSession: { type: 'apiKey', in: 'cookie', name: 'custodian_staff', description: 'staff session (POST /staff/v1/login)' },
        },
      },
    },
  });

  app.get('/healthz', { schema: { tags: ['ops'], response: { 200: Type.Object({ ok: Type.Boolean(), driver: Type.String(), safetyBacklog: Type.Integer({ description: 'messages acknowledged but not yet scored by the asynchronous safety stage' }) }) } } }, async () => {
    await services.db.query('SELECT 1');
    return { ok: true, driver: services.db.driver, safetyBacklog: services.safety.backlog() };
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(async (scope) => platformRoutes(scope, services));
  await app.register(async (scope) => deviceRoutes(scope, services));
  await app.register(async (scope) => staffRoutes(scope, services));
  await app.register(async (scope) => logRoutes(scope, services));
  return app as unknown as FastifyInstance;
}
