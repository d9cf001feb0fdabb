/**
 * safety/risk: conversation risk scoring (grooming, sextortion, harassment) for the async safety stage.
 * Owns: the sliding window of recent messages per conversation (as rule hits and model scores, never text),
 *   the weights from signals to scores, and the thresholds from scores to actions.
 * Exposes: createRiskState, scoreEvent, scoreState, scoreConversation, THRESHOLDS, and their types.
 * May import: nothing outside safety/ (types from safety/text only).
 * Never: store or log message text; infer an age that the platform did not give; enforce anything itself
 *   (actions are recommendations that the review capability carries out).
 */
export {
  createRiskState,
  scoreConversation,
  scoreEvent,
  scoreState,
  HARMS,
  type AgeBand,
  type ConversationResult,
  type Harm,
  type Relationship,
  type RiskAction,
  type RiskContext,
  type RiskEvent,
  type RiskHit,
  type RiskResult,
  type RiskSignal,
  type RiskState,
} from './score.js';
export { THRESHOLDS, WINDOW_MESSAGES } from './weights.js';
