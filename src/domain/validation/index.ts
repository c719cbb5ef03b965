export {
  isCookiePair,
  isDnsLabel,
  isDnsSubdomain,
  isHeaderName,
  isLabelValue,
  settingKeyProblems,
} from './names.js';
export { MAX_REGEX_BYTES, quoteValue, re2SyntaxError, regexProblem } from './regex.js';
