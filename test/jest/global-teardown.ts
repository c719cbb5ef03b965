import { bedDown } from '../bed/bed.js';

export default async function globalTeardown(): Promise<void> {
  if (process.env.CANARY_BOT_BED_STARTED_BY_JEST === '1' && process.env.CANARY_BOT_KEEP_BED !== '1')
    await bedDown();
}
