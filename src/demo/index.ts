/**
 * demo: `custodian demo` fills a fresh data directory with a realistic scenario so the API, the log and (later)
 * the console are explorable on first start: users of each age band, conversations, a reported conversation,
 * a case, a grant approved by a second staff member, reads through grants, and staff accounts.
 * May import: every capability's entry (it is a composition root, like the server).
 */
import type { AppServices } from '../http/services.js';
import { createStaff, setRelationship, upsertUser, type Staff } from '../identity/index.js';
import { openCase } from '../review/index.js';

const year = new Date().getUTCFullYear();

export interface DemoResult {
  staff: { username: string; roles: string[]; password: string; totpSecret: string; totpUri: string }[];
  users: string[];
  conversations: Record<string, string>;
  caseId: string;
  grants: { grantId: string; status: string; readsLogged: number }[];
}

export async function runDemo(services: AppServices & { access: NonNullable<AppServices['access']> }): Promise<DemoResult> {
  const { db, messaging, access } = services;
  const people = [
    { userId: 'maya', displayName: 'Maya', birthYear: year - 15 }, // 13-15
    { userId: 'leo', displayName: 'Leo', birthYear: year - 15 },
    { userId: 'noor', displayName: 'Noor', birthYear: year - 18 }, // 16-17
    { userId: 'sam', displayName: 'Sam', birthYear: year - 18 },
    { userId: 'alex', displayName: 'Alex', birthYear: year - 30 }, // adult
    { userId: 'jordan', displayName: 'Jordan', birthYear: year - 45 },
    { userId: 'riley', displayName: 'Riley', birthYear: year - 35 },
  ];
  for (const p of people) await upsertUser(services, { ...p, region: 'eu' });
  await setRelationship(db, 'maya', 'leo', 'mutual');
  await setRelationship(db, 'noor', 'sam', 'mutual');
  await setRelationship(db, 'alex', 'jordan', 'mutual');
  await setRelationship(db, 'riley', 'noor', 'mutual');

  const say = async (conversationId: string, from: string, n: number, text: string) =>
    messaging.sendMessage({ conversationId, senderId: from, deviceId: 'demo', clientMessageId: `demo-${conversationId}-${n}`, text });

  const teens = (await messaging.createConversation('maya', { members: ['leo'] })).conversation.id;
  const lines = ['did u finish the bio hw', 'almost lol', 'can u send me q3', 'ok one sec', 'thx!!'];
  for (let i = 0; i < lines.length; i++) await say(teens, i % 2 ? 'leo' : 'maya', i, lines[i]);

  const adults = (await messaging.createConversation('alex', { members: ['jordan'] })).conversation.id;
  await say(adults, 'alex', 0, 'lunch on thursday?');
  await say(adults, 'jordan', 1, 'works for me');

  // The reported conversation: an adult the 16-year-old is mutual with pushes towards secrecy and another app.
  const reported = (await messaging.createConversation('riley', { members: ['noor'] })).conversation.id;
  const risky = [
    ['riley', 'hey, saw your video, you are really talented'],
    ['noor', 'thanks :)'],
    ['riley', 'how old are you btw'],
    ['noor', '16'],
    ['riley', 'you seem way more mature. do you have snap? easier to talk there'],
    ['noor', 'why'],
    ['riley', 'just between us ok? dont tell your parents we talk'],
  ];
  const acks = [];
  for (let i = 0; i < risky.length; i++) acks.push(await say(reported, risky[i][0], i, risky[i][1]));

  const group = (await messaging.createConversation('noor', { members: ['sam', 'riley'], title: 'study group' })).conversation.id;
  await say(group, 'noor', 0, 'exam is on monday');
  await messaging.idle();

  const made = [] as DemoResult['staff'];
  const staff: Record<string, Staff> = {};
  for (const [username, roles] of [
    ['mod.ana', ['moderator']], ['senior.ben', ['senior_moderator']], ['cs.chloe', ['child_safety']],
    ['legal.dev', ['legal']], ['audit.eli', ['auditor']], ['admin.fay', ['admin']],
  ] as const) {
    const s = await createStaff(db, services.keyring, { username, roles: [...roles] });
    staff[username] = s.staff;
    made.push({ username, roles: [...roles], password: s.password, totpSecret: s.totpSecret, totpUri: s.totpUri });
  }

  // Noor reports messages 3-7; the case's default grant covers that span plus context.
  const c = await openCase(db, {
    subjectUserId: 'riley', source: 'report', openedBy: 'report:noor',
    reported: { conversationId: reported, fromSeq: acks[2].seq, toSeq: acks[6].seq, reportedBy: 'noor' },
  });

  const grants: DemoResult['grants'] = [];
  // A moderator reads the reported span: covered by the report's consent, so no second approval.
  const g1 = await access.requestGrant(staff['mod.ana'], {
    purpose: 'case_review', caseId: c.caseId, justification: 'Review the messages Noor reported', coveredByReport: true,
    scope: { conversationIds: [reported], fromSeq: acks[0].seq, toSeq: acks[6].seq },
  });
  await access.readContent(staff['mod.ana'], g1.grantId, { conversationId: reported });
  grants.push({ grantId: g1.grantId, status: g1.status, readsLogged: 1 });
  // A child-safety specialist looks at the subject's group with the minor: outside the report, so a senior
  // moderator must approve before it can be used.
  const g2 = await access.requestGrant(staff['cs.chloe'], {
    purpose: 'child_safety_investigation', caseId: c.caseId, justification: 'Check whether the pattern continues in the group chat', coveredByReport: false,
    scope: { conversationIds: [group] },
  });
  const approved = await access.approveGrant(staff['senior.ben'], g2.grantId);
  await access.readContent(staff['cs.chloe'], g2.grantId, { conversationId: group });
  grants.push({ grantId: g2.grantId, status: approved.status, readsLogged: 1 });

  return { staff: made, users: people.map((p) => p.userId), conversations: { teens, adults, reported, group }, caseId: c.caseId, grants };
}
