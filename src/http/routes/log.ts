// Public, unauthenticated verifiable-log routes, laid out exactly as C2SP tlog-tiles: any tlog client or witness
// can fetch the signed checkpoint and tiles, check the signature with the key from `custodian log key`, and
// recompute the root. Proof endpoints save small clients from fetching tiles.
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { consistencyProof, inclusionProof, latestCheckpoint, readTile } from '../../audit/index.js';
import { errorResponses, SeqString } from '../schemas.js';
import type { AppServices } from '../services.js';

export async function logRoutes(app: FastifyInstance, services: AppServices) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/log/checkpoint', {
    schema: { tags: ['log'], summary: 'The latest signed checkpoint (C2SP tlog-checkpoint, signed-note)', response: { 200: Type.String(), ...errorResponses } },
  }, async (_req, reply) => {
    const note = await latestCheckpoint(services.db);
    // The checkpoint moves as the log grows; tiles below do not, except partial ones.
    return reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(note);
  });

  r.get('/log/tile/*', {
    schema: { tags: ['log'], summary: 'A tile or entry bundle at its tlog-tiles path', response: { 200: Type.Any(), ...errorResponses } },
  }, async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const path = `tile/${rest}`;
    const bytes = await readTile(services.db, path);
    // Full tiles are immutable; partial ones are replaced by longer partials and then the full tile.
    const immutable = !path.includes('.p/');
    return reply
      .header('content-type', 'application/octet-stream')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-store')
      .send(bytes);
  });

  r.get('/log/proof/inclusion', {
    schema: {
      tags: ['log'], summary: 'RFC 6962 inclusion proof of entry `index` in the tree of `size`',
      querystring: Type.Object({ index: SeqString, size: SeqString }, { additionalProperties: false }),
      response: { 200: Type.Object({ index: Type.Integer(), size: Type.Integer(), proof: Type.Array(Type.String({ description: 'base64 SHA-256' })) }), ...errorResponses },
    },
  }, async (req) => {
    const index = Number(req.query.index);
    const size = Number(req.query.size);
    const proof = await inclusionProof(services.db, index, size);
    return { index, size, proof: proof.map((h) => h.toString('base64')) };
  });

  r.get('/log/proof/consistency', {
    schema: {
      tags: ['log'], summary: 'RFC 6962 consistency proof between tree sizes `from` and `to`',
      querystring: Type.Object({ from: SeqString, to: SeqString }, { additionalProperties: false }),
      response: { 200: Type.Object({ from: Type.Integer(), to: Type.Integer(), proof: Type.Array(Type.String()) }), ...errorResponses },
    },
  }, async (req) => {
    const from = Number(req.query.from);
    const to = Number(req.query.to);
    const proof = await consistencyProof(services.db, from, to);
    return { from, to, proof: proof.map((h) => h.toString('base64')) };
  });

  r.get('/log/key', {
    schema: { tags: ['log'], summary: 'The verifier key of the checkpoint signature (signed-note vkey form)', response: { 200: Type.Object({ origin: Type.String(), verifierKey: Type.String() }) } },
  }, async () => ({ origin: services.audit.origin, verifierKey: services.audit.verifierKey }));
}
