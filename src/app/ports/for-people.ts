/**
 * What may be said to people in a channel about a failure: what went wrong, never where or as whom. Role
 * ARNs, the identity Kubernetes saw, endpoints of internal services and addresses are replaced by words;
 * the original stays in the error's `cause` and in the logs.
 */

const internalUrl =
  /https?:\/\/(?:[^\s/"']*\.amazonaws\.com(?:\.cn)?|[^\s/"']*\.(?:svc|internal|local|cluster\.local)|localhost|\[[0-9a-f:]+\]|\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?(?:\/[^\s"',)]*)?/gi;

/**
 * The sentence without internal details.
 *
 * @example withoutInternals('User "arn:aws:sts::123456789012:assumed-role/bot/x" cannot patch …')
 * // 'the bot cannot patch …'
 */
export function withoutInternals(text: string): string {
  return text
    .replace(/\b(?:User|Group|ServiceAccount) "[^"]*"/g, 'the bot')
    .replace(/\bsystem:serviceaccount:[\w.-]+:[\w.-]+/g, 'the bot')
    .replace(/\barn:aws[\w-]*:[^\s"',;)]*/g, 'its AWS identity')
    .replace(internalUrl, 'its endpoint')
    .replace(/\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?\b/gi, 'its endpoint')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, 'its address');
}
