// Tests for conversation risk scoring on synthetic rule hits: how cues combine across grooming stages, the
// sextortion gate, context (ages, relationship, hour, family roles), actions, the window and purity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRiskState, scoreConversation, scoreEvent, scoreState, THRESHOLDS, WINDOW_MESSAGES, type RiskEvent, type RiskHit } from './index.js';

const hit = (category: string, weight: number, ruleId = `t.${category}`): RiskHit => ({ ruleId, category, weight });
const ev = (from: string, ...hits: RiskHit[]): RiskEvent => ({ from, hits });

test('an empty conversation scores zero and asks for nothing', () => {
  const r = scoreState(createRiskState());
  assert.deepEqual(r.scores, { grooming: 0, sextortion: 0, harassment: 0 });
  assert.deepEqual(r.flagged, []);
  assert.deepEqual(r.actions, []);
});

test('one ambiguous cue does not flag grooming (a friend\'s "dont tell ur mom")', () => {
  const r = scoreConversation([ev('a', hit('secrecy_parents', 0.6)), ev('b')]);
  assert.ok(r.scores.grooming > 0);
  assert.ok(r.scores.grooming < THRESHOLDS.grooming.flag);
  assert.deepEqual(r.flagged, []);
});

test('cues from different stages by one sender combine and flag, with explanations', () => {
  const r = scoreConversation([
    ev('a', hit('maturity', 0.45)),
    ev('b'),
    ev('a', hit('platform_move', 0.3), hit('evasion', 0.55)),
    ev('b'),
    ev('a', hit('secrecy_parents', 0.6, 'secrecy.dont-tell-your')),
  ]);
  assert.deepEqual(r.flagged, ['grooming']);
  assert.equal(r.subjects.grooming, 'a');
  const names = r.signals.filter((s) => s.harm === 'grooming').map((s) => s.name);
  for (const n of ['maturity', 'evasion', 'secrecy_parents', 'stage:isolation', 'escalation']) assert.ok(names.includes(n), n);
  const secrecy = r.signals.find((s) => s.name === 'secrecy_parents');
  assert.deepEqual(secrecy?.ruleIds, ['secrecy.dont-tell-your']);
  assert.ok(r.actions.some((a) => a.type === 'safety_notice' && a.to === 'b'));
  assert.ok(r.actions.some((a) => a.type === 'open_case' && a.subject === 'a'));
  // flagged as soon as the second stage appeared, before the secrecy request
  assert.equal(r.firstFlaggedAt.grooming, 2);
});

test('cues split across two senders do not add up against either', () => {
  const r = scoreConversation([ev('a', hit('flattery', 0.15)), ev('b', hit('secrecy_parents', 0.6)), ev('a', hit('age_probe', 0.35))]);
  assert.deepEqual(r.flagged, []);
});

test('a child reporting compliance counts against the other participant', () => {
  const base = [ev('a', hit('supervision_probe', 0.5)), ev('b', hit('secrecy_compliance', 0.55))];
  const r = scoreConversation(base);
  const compliance = r.signals.find((s) => s.name === 'secrecy_compliance');
  assert.equal(compliance?.from, 'a');
  assert.equal(r.subjects.grooming, 'a');
});

test('ages: adult to minor raises grooming; two adults lower it; no ages infers nothing', () => {
  const events = [ev('a', hit('maturity', 0.45)), ev('b'), ev('a', hit('age_probe', 0.35))];
  const none = scoreConversation(events);
  const adultMinor = scoreConversation(events, { ageBands: { a: 'adult', b: '13-15' } });
  const adults = scoreConversation(events, { ageBands: { a: 'adult', b: 'adult' } });
  assert.ok(adultMinor.scores.grooming > none.scores.grooming);
  assert.ok(adults.scores.grooming < none.scores.grooming);
  assert.ok(adultMinor.signals.some((s) => s.name === 'adult_to_minor'));
  assert.ok(!none.signals.some((s) => ['adult_to_minor', 'peer_minors', 'both_adults'].includes(s.name)));
  assert.ok(!adults.actions.some((a) => a.type === 'safety_notice'));
});

test('context: a stranger and a late-night hour raise an existing score but never create one', () => {
  const events: RiskEvent[] = [{ ...ev('a', hit('photo_request', 0.3)), localHour: 1 }, ev('b')];
  const plain = scoreConversation([ev('a', hit('photo_request', 0.3)), ev('b')]);
  const r = scoreConversation(events, { relationship: 'none' });
  assert.ok(r.scores.grooming > plain.scores.grooming);
  assert.ok(r.signals.some((s) => s.name === 'stranger'));
  assert.ok(r.signals.some((s) => s.name === 'late_night'));
  const empty = scoreConversation([{ from: 'a', hits: [], localHour: 2 }], { relationship: 'none' });
  assert.equal(empty.scores.grooming, 0);
});

test('context: a family role scales grooming down; an occasion discounts gifts and weak secrecy', () => {
  // Context counts from the moment it appears; scores already reached are kept (the conversation's peak).
  const events = [ev('a', hit('transport', 0.3), hit('location_probe', 0.45)), ev('b', hit('private_meeting', 0.4))];
  const family = scoreConversation([ev('b', hit('family_address', 0.5)), ...events]);
  const plain = scoreConversation(events);
  assert.ok(family.scores.grooming < plain.scores.grooming);
  assert.ok(family.signals.some((s) => s.name === 'context:family_address'));
  const gift = [ev('a', hit('gift_offer', 0.35)), ev('a', hit('secrecy', 0.45))];
  const withOccasion = scoreConversation([ev('b', hit('occasion', 0.5)), ...gift]);
  assert.ok(withOccasion.scores.grooming < scoreConversation(gift).scores.grooming);
});

test('sextortion needs images plus a threat or a demand', () => {
  const threatOnly = scoreConversation([ev('a', hit('share_threat', 0.5)), ev('a', hit('coercion', 0.35), hit('deadline', 0.25))]);
  assert.ok(threatOnly.scores.sextortion < THRESHOLDS.sextortion.flag);
  const r = scoreConversation([ev('a', hit('image_claim', 0.45)), ev('a', hit('share_threat', 0.5), hit('demand_payment', 0.4)), ev('b')]);
  assert.ok(r.flagged.includes('sextortion'));
  assert.ok(r.actions.some((a) => a.type === 'open_case' && a.priority === 'urgent' && a.harm === 'sextortion'));
  assert.ok(r.actions.some((a) => a.type === 'hold_media' && a.from === 'a'));
  assert.ok(r.actions.some((a) => a.type === 'restrict_sender' && a.userId === 'a'));
});

test('harassment comes from repeated hostile messages, not one', () => {
  const hostile = (from: string): RiskEvent => ({ from, hits: [], modelScores: { offensive: 0.95 } });
  assert.deepEqual(scoreConversation([hostile('a'), ev('b')]).flagged, []);
  const r = scoreConversation([hostile('a'), hostile('a'), hostile('a'), hostile('a'), hostile('a'), ev('b')]);
  assert.ok(r.flagged.includes('harassment'));
  assert.equal(r.subjects.harassment, 'a');
});

test('the window keeps the last WINDOW_MESSAGES messages', () => {
  let state = createRiskState();
  for (let i = 0; i < WINDOW_MESSAGES + 10; i++) state = scoreEvent(state, ev(i % 2 ? 'a' : 'b')).state;
  assert.equal(state.turns.length, WINDOW_MESSAGES);
  assert.equal(state.eventCount, WINDOW_MESSAGES + 10);
});

test('scoreEvent is pure: the previous state is unchanged', () => {
  const s0 = createRiskState();
  const s1 = scoreEvent(s0, ev('a', hit('maturity', 0.45))).state;
  const snapshot = JSON.stringify(s1);
  scoreEvent(s1, ev('b', hit('secrecy', 0.4)));
  assert.equal(JSON.stringify(s1), snapshot);
  assert.equal(s0.turns.length, 0);
});

test('the state holds no message text', () => {
  const s = scoreEvent(createRiskState(), { from: 'a', hits: [hit('maturity', 0.45)], modelScores: { offensive: 0.1 } }).state;
  const keys = new Set<string>();
  JSON.stringify(s, (k, v) => (keys.add(k), v));
  assert.ok(!keys.has('text'));
});

test('a window without evidence takes the quiet path, and it gives exactly what the full pass gives', () => {
  // The full pass is forced by claiming evidence the window does not have; both must agree on every window,
  // including ones that slide past their only hits and ones with model scores just under the hostility floor.
  const categories = ['maturity', 'secrecy_parents', 'platform_move', 'image_request', 'threat_leak', 'insult', 'family_address'];
  const event = fc.record({
    from: fc.constantFrom('a', 'b', 'c'),
    hits: fc.array(fc.record({ category: fc.constantFrom(...categories), weight: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 2 }),
    hostility: fc.double({ min: 0, max: 1, noNaN: true }),
    at: fc.integer({ min: 0, max: 10 ** 7 }),
    localHour: fc.integer({ min: 0, max: 23 }),
  });
  fc.assert(
    fc.property(
      fc.array(fc.oneof({ weight: 4, arbitrary: event.map((e) => ({ ...e, hits: [], hostility: e.hostility / 4 })) }, { weight: 1, arbitrary: event }), { maxLength: WINDOW_MESSAGES + 20 }),
      fc.constantFrom<'adult' | '13-15' | 'unknown'>('adult', '13-15', 'unknown'),
      (events, band) => {
        let state = createRiskState({ ageBands: { a: 'adult', b: band }, relationship: 'none' });
        for (const e of events) {
          state = scoreEvent(state, {
            from: e.from,
            hits: e.hits.map((h) => hit(h.category, h.weight)),
            modelScores: { offensive: e.hostility, hate: e.hostility / 2 },
            at: e.at,
            localHour: e.localHour,
          }).state;
          assert.deepEqual(scoreState(state), scoreState({ ...state, evidenceTurns: 1 }));
        }
      },
    ),
    { numRuns: 300 },
  );
});
