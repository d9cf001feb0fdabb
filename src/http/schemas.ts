// Route schemas (TypeBox). They validate input, shape responses (only declared fields are serialized, which
// stops accidental disclosure) and generate /openapi.json.
import { Type, type Static } from 'typebox';
import { DEVICE_ID_PATTERN, USER_ID_PATTERN } from '../identity/index.js';

export const UserId = Type.String({ pattern: USER_ID_PATTERN, description: 'platform user id' });
export const DeviceId = Type.String({ pattern: DEVICE_ID_PATTERN });
export const ConversationId = Type.String({ pattern: '^cv_[0-9a-z]{26}$' });
export const MessageId = Type.String({ pattern: '^m_[0-9a-z]{26}$' });
export const ClientMessageId = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'unique per device; a retry with the same id returns the first result' });
export const SeqString = Type.String({ pattern: '^[0-9]{1,15}$' });
export const LimitString = Type.String({ pattern: '^[0-9]{1,4}$' });
export const Cursor = Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' });

export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'Error', description: 'every 4xx and 5xx has this shape; `code` is stable (see README)' },
);

export const AgeBandSchema = Type.Union([Type.Literal('13-15'), Type.Literal('16-17'), Type.Literal('adult')]);

export const UserView = Type.Object({
  userId: Type.String(),
  displayName: Type.String(),
  ageBand: Type.String(),
  region: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const UpsertUserBody = Type.Object(
  {
    displayName: Type.String({ minLength: 1, maxLength: 64 }),
    birthYear: Type.Optional(Type.Integer({ minimum: 1850, maximum: 3000 })),
    ageBand: Type.Optional(AgeBandSchema),
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);

export const TokenBody = Type.Object({ deviceId: DeviceId }, { additionalProperties: false });
export const TokenResponse = Type.Object({ token: Type.String(), expiresAt: Type.String() });

export const RelationshipBody = Type.Object(
  { a: UserId, b: UserId, kind: Type.Union([Type.Literal('mutual'), Type.Literal('follows'), Type.Literal('none')]) },
  { additionalProperties: false },
);
export const RelationshipView = Type.Object({ a: Type.String(), b: Type.String(), kind: Type.String() });

export const MemberView = Type.Object({ userId: Type.String(), state: Type.String() });
export const ConversationView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  title: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Type.String(),
  lastSeq: Type.Integer(),
  myState: Type.String({ description: 'active, or pending when this is a message request to you' }),
  lastReadSeq: Type.Integer(),
  members: Type.Array(MemberView),
});

export const CreateConversationBody = Type.Object(
  {
    members: Type.Array(UserId, { minItems: 1, maxItems: 256 }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const PointerSchema = Type.Object(
  { kind: Type.Literal('video'), id: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export const SendBody = Type.Object(
  {
    clientMessageId: ClientMessageId,
    text: Type.Optional(Type.String({ maxLength: 20000 })),
    pointer: Type.Optional(PointerSchema),
    mediaId: Type.Optional(Type.String({ pattern: '^md_[0-9a-z]{26}$', description: 'from POST /v1/media' })),
    replyTo: Type.Optional(MessageId),
  },
  { additionalProperties: false },
);
export type SendBodyT = Static<typeof SendBody>;

export const SendResponse = Type.Object({ id: Type.String(), conversationId: Type.String(), seq: Type.Integer(), sentAt: Type.String() });

export const MessageViewSchema = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  seq: Type.Integer(),
  senderId: Type.String(),
  sentAt: Type.String(),
  text: Type.Optional(Type.String()),
  pointer: Type.Optional(Type.Object({ kind: Type.String(), id: Type.String() })),
  media: Type.Optional(Type.Object({ id: Type.String(), mime: Type.String(), width: Type.Integer(), height: Type.Integer() })),
  replyTo: Type.Optional(Type.String()),
  unsent: Type.Boolean(),
  held: Type.Optional(Type.Boolean()),
  contentUnavailable: Type.Optional(Type.Boolean()),
});

export const HistoryResponse = Type.Object({
  messages: Type.Array(MessageViewSchema),
  before: Type.Union([Type.String(), Type.Null()], { description: 'cursor for older messages' }),
  after: Type.Union([Type.String(), Type.Null()], { description: 'cursor for newer messages' }),
});

export const InboxEventSchema = Type.Object({
  seq: Type.Integer({ description: 'the user\'s inbox sequence; ack it to resume after it' }),
  type: Type.String(),
  conversationId: Type.String(),
  message: Type.Optional(MessageViewSchema),
  messageId: Type.Optional(Type.String()),
  reaction: Type.Optional(Type.Object({ messageId: Type.String(), userId: Type.String(), emoji: Type.Union([Type.String(), Type.Null()]) })),
  read: Type.Optional(Type.Object({ userId: Type.String(), seq: Type.Integer() })),
  conversation: Type.Optional(Type.Object({ change: Type.String(), by: Type.String(), kind: Type.String() })),
});

export const SyncResponse = Type.Object({
  events: Type.Array(InboxEventSchema),
  hasMore: Type.Boolean(),
  lastSeq: Type.Integer(),
});

export const DmSettings = Type.Object({
  dmPolicy: Type.String(),
  maxDmPolicy: Type.String({ description: 'the most open setting your age group allows' }),
});
export const DmPolicyBody = Type.Object(
  { dmPolicy: Type.Union([Type.Literal('everyone'), Type.Literal('mutual'), Type.Literal('none')]) },
  { additionalProperties: false },
);

export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  415: ErrorResponse,
  429: ErrorResponse,
};
