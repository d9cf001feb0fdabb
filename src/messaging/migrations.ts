// messaging's tables (msg_*). Message bodies, pointers, reactions and group titles are bytea ciphertext only;
// no column holds or indexes plaintext content.
import type { Migration } from '../storage/index.js';

export const messagingMigrations: Migration[] = [
  {
    id: '20261123-0200-messaging',
    sql: `
      CREATE TABLE msg_conversations (
        conversation_id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('direct', 'group')),
        -- "userA|userB" sorted: one direct conversation per pair.
        pair_key text UNIQUE,
        title_ct bytea,
        region text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seq int8 NOT NULL DEFAULT 0
      );
      -- state: active | pending (a message request the member has not accepted) | declined | left.
      -- joined_seq: members see messages after the point they joined, never earlier history.
      CREATE TABLE msg_members (
        conversation_id text NOT NULL,
        user_id text NOT NULL,
        state text NOT NULL,
        role text NOT NULL DEFAULT 'member',
        joined_seq int8 NOT NULL DEFAULT 0,
        last_read_seq int8 NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (conversation_id, user_id)
      );
      CREATE INDEX msg_members_by_user ON msg_members (user_id, conversation_id);
      CREATE TABLE msg_blocks (
        blocker_id text NOT NULL,
        blocked_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (blocker_id, blocked_id)
      );
      CREATE INDEX msg_blocks_by_blocked ON msg_blocks (blocked_id);
      CREATE TABLE msg_user_settings (
        user_id text PRIMARY KEY,
        dm_policy text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- One data key per conversation per epoch, stored only wrapped by a region key.
      CREATE TABLE msg_conversation_keys (
        conversation_id text NOT NULL,
        epoch int NOT NULL,
        kek_id text NOT NULL,
        wrapped bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (conversation_id, epoch)
      );
      CREATE TABLE msg_messages (
        conversation_id text NOT NULL,
        seq int8 NOT NULL,
        message_id text NOT NULL UNIQUE,
        sender_id text NOT NULL,
        sender_device_id text NOT NULL,
        client_message_id text NOT NULL,
        key_epoch int NOT NULL,
        body_ct bytea,
        reply_to text,
        state text NOT NULL DEFAULT 'visible',
        created_at timestamptz NOT NULL DEFAULT now(),
        unsent_at timestamptz,
        PRIMARY KEY (conversation_id, seq)
      );
      -- A retried send (same device, same clientMessageId) finds its first result here instead of a second row.
      CREATE UNIQUE INDEX msg_messages_dedupe ON msg_messages (sender_id, sender_device_id, client_message_id);
      CREATE TABLE msg_reactions (
        message_id text NOT NULL,
        user_id text NOT NULL,
        conversation_id text NOT NULL,
        key_epoch int NOT NULL,
        reaction_ct bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (message_id, user_id)
      );
      -- Per-user event sequence: everything a user's devices must see, in order. Rows reference messages and
      -- reactions by id; content stays in the encrypted tables.
      CREATE TABLE msg_user_seq (
        user_id text PRIMARY KEY,
        last_seq int8 NOT NULL DEFAULT 0
      );
      CREATE TABLE msg_inbox (
        user_id text NOT NULL,
        seq int8 NOT NULL,
        kind text NOT NULL,
        conversation_id text NOT NULL,
        ref_id text,
        data jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, seq)
      );
      CREATE TABLE msg_device_cursors (
        user_id text NOT NULL,
        device_id text NOT NULL,
        acked_seq int8 NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, device_id)
      );
    `,
  },
];

messagingMigrations.push({
  id: '20261123-0210-messaging-media',
  sql: `
    -- Media as recipients get it (re-encoded, metadata stripped), sealed under its own data key, which is stored
    -- only wrapped by the uploader's region key. The blob store holds ciphertext only.
    CREATE TABLE msg_media (
      media_id text PRIMARY KEY,
      uploader_id text NOT NULL,
      kek_id text NOT NULL,
      wrapped_key bytea NOT NULL,
      blob_key text NOT NULL,
      mime text NOT NULL,
      width int NOT NULL,
      height int NOT NULL,
      byte_length int NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    -- Which messages carry which media: a download is allowed only to someone who may see such a message.
    CREATE TABLE msg_message_media (
      message_id text NOT NULL,
      media_id text NOT NULL,
      conversation_id text NOT NULL,
      PRIMARY KEY (message_id, media_id)
    );
    CREATE INDEX msg_message_media_by_media ON msg_message_media (media_id);
  `,
});
