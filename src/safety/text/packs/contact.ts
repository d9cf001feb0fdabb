/**
 * safety/text pack "contact": moving a conversation off the platform, where no safety pipeline sees it.
 * Categories: platform_move (asking to continue elsewhere), contact_request (asking for the other's handle
 * or number), contact_share (giving one's own), evasion (choosing a channel because it hides the
 * conversation: disappearing messages, "nobody can read them"), video_call, app_mention (a bare app name,
 * weak on its own: classmates share Discord names all the time).
 */
import type { Rule } from '../rules.js';
import { APPS, YOU, YOUR, ruleBuilder } from './lexicon.js';

const { regex, keyword } = ruleBuilder('contact');

export const contactPack: Rule[] = [
  regex('move-request', 'platform_move', 0.3,
    `\\b(?:add|hmu|message|msg|text|dm|hit|talk|chat|move|switch|go|come|find|follow|reach)(?: me| us| me up| it| this)?(?: up)? (?:on|to|over on|over to|in|thru|through|via) (?:${APPS})\\b`,
    { allow: ['text me when', 'on the phone', 'talk to my mom', 'talk to my dad'] }),
  regex('app-instead', 'platform_move', 0.4, `\\b(?:${APPS}|there|over there)\\s*(?:instead|rather|better)\\b`),
  regex('have-app', 'platform_move', 0.3, `\\b(?:do|d|does|r|are|got|have|u got)\\s*${YOU}\\s*(?:have|got|on|use)?\\s*(?:a |an )?(?:${APPS})\\b`),
  regex('download-app', 'platform_move', 0.3, `\\b(?:download|get|install|make|create)(?: a| an)? (?:${APPS})(?: account| acc)?\\b`, { allow: ['get on the phone'] }),
  regex('ask-handle', 'contact_request', 0.3,
    `\\b(?:whats|wats|wuts|what is|whts|drop|send|send me|give me|gimme|can i have|can i get|dm me)\\s*${YOUR}\\s*(?:sc|snap|snapchat|number|num|digits|phone|cell|insta|ig|discord|telegram|kik|whatsapp|wa|user|username|handle|@|addy|email)\\b`),
  regex('share-handle', 'contact_share', 0.3,
    `\\bmy (?:user|username|handle|snap|sc|insta|ig|discord|telegram|kik|number|num|cell|@)\\s*(?:is|=|:|in my bio|s in my bio)`),
  regex('handle-in-bio', 'contact_share', 0.3, `\\b(?:in my bio|on my profile|link in bio)\\b`),
  regex('call-me', 'platform_move', 0.3, `\\b(?:text|call|ring|facetime|whatsapp) me (?:at|on)\\b`),
  regex('phone-number', 'contact_share', 0.3, `(?:^|[^0-9])(?:\\+?\\d{1,3}[ .-]?)?\\(?\\d{2,5}\\)?[ .-]?\\d{3,4}[ .-]?\\d{3,4}(?:[^0-9]|$)`, { view: 'literal' }),
  regex('handle', 'contact_share', 0.15, `(?:^|\\s)@[a-z0-9_.]{3,30}`, { view: 'literal' }),
  regex('disappearing', 'evasion', 0.55,
    `\\b(?:msgs?|messages?|texts?|chats?|it|they|everything|pics?)(?: \\w+)?\\s+(?:disappear|disappears|vanish|vanishes|delete themselves|auto ?delete|self ?destruct)|\\b(?:disappearing|vanish) (?:mode|msgs?|messages?)`),
  regex('nobody-reads', 'evasion', 0.55,
    `\\b(?:no ?one|nobody|no body|ur parents|ur mom|ur dad|they|ppl|people) (?:can|will|could|would)(?:nt|not)? (?:ever )?(?:read|see|check|find|track|monitor)(?: it| them| our| us| what)?`,
    { allow: ['nobody can see me', 'no one can see me', 'people can see', 'they can see it', 'they can check'] }),
  regex('monitored-here', 'evasion', 0.5,
    `\\b(?:this app|this site|here|they|the mods|mods|admins|ppl|people) (?:reads?|monitors?|watch|watches|checks?|tracks?|scans?|can see|see|sees|look at) (?:our|ur|the|my|all the|everything|what we)(?: messages| msgs| chats| dms| texts| convos?| say| write)?\\b|\\b(?:is|its|it is|way|much) (?:more private|more secure|safer|less monitored|not monitored|encrypted|private)\\b`,
    { allow: ['they can see me', 'people can see'] }),
  regex('go-private', 'platform_move', 0.35, `\\b(?:lets|let us|wanna|we should|can we) (?:go|talk|chat|move|take this) (?:private|somewhere (?:else|private)|(?:to )?(?:dms|pm|private chat))\\b|\\b(?:whats|what is|give me|send me|drop) ${YOUR} (?:number|#|cell|phone number)\\b`),
  regex('safer-channel', 'evasion', 0.5, `\\b(?:safer|more private|private(?:r)?|more secure|more secret|less watched) than (?:here|this|this app|this site|on here)\\b|\\b(?:secret|private|hidden|second|spare|burner) (?:account|acc|app|chat|number|phone)\\b`),
  regex('video-call', 'video_call', 0.3, `\\b(?:video ?call|vc|facetime|cam|webcam|video chat|go live)\\b(?: me| with me| w me| now| tonight)?|\\b(?:we can|we could|lets|wanna|can we) (?:call|talk on the phone|voice call)\\b`, { allow: ['family facetime', 'facetime grandma', 'facetime my'] }),
  ...['snapchat', 'telegram', 'kik', 'whatsapp', 'discord', 'instagram', 'insta', 'wickr', 'threema', 'viber', 'wechat'].map((app) =>
    keyword(`app.${app}`, 'app_mention', 0.1, app)),
  keyword('app.signal', 'app_mention', 0.1, 'signal', { allow: ['no signal', 'bad signal', 'signal strength', 'turn signal', 'signal is', 'signal was'] }),
  keyword('app.snap', 'app_mention', 0.1, 'snap', { allow: ['oh snap', 'snap out', 'snap peas', 'in a snap', 'snap back', 'snap at', 'snapped at'] }),
];
