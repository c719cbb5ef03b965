export { isCookiePair, isDnsLabel, isDnsSubdomain, isHeaderName, isLabelValue } from './names.js';
export { MAX_REGEX_BYTES, quoteValue, re2SyntaxError, regexProblem } from './regex.js';
