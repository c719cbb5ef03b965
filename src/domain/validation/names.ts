/**
 * The names a release is made of, with Kubernetes' and HTTP's own rules: one place for the command
 * grammar, the step plans and the configuration.
 */

const dnsLabelShape = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomainShape = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValueShape = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
// RFC 9110 token characters, as header and cookie names allow them; the bot takes the common subset.
const headerNameShape = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const cookieNameShape = /^[!#-'*+.0-9A-Z^-z|~-]+$/;
const cookieValueShape = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;

/**
 * A Kubernetes DNS-1123 label (service, namespace, version): lowercase letters, digits and '-', at most 63.
 *
 * @example isDnsLabel('reviews') // true
 */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && dnsLabelShape.test(value);
}

/**
 * A Kubernetes DNS-1123 subdomain (object names, hosts): labels joined by '.', at most 253 characters.
 *
 * @example isDnsSubdomain('reviews.bookinfo.svc.cluster.local') // true
 */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && dnsSubdomainShape.test(value);
}

/**
 * A Kubernetes label value (a pod's `version` label): at most 63 characters, alphanumeric at both ends.
 *
 * @example isLabelValue('v2.1_rc') // true
 */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && labelValueShape.test(value);
}

/**
 * An HTTP header name the bot matches on: letters, digits and '-', at most 256 characters.
 *
 * @example isHeaderName('end-user') // true
 */
export function isHeaderName(value: string): boolean {
  return value.length <= 256 && headerNameShape.test(value);
}

/**
 * A cookie `name=value` as a browser sends it (RFC 6265 cookie-name and cookie-value, no quotes).
 *
 * @example isCookiePair('user=tester') // true
 * @example isCookiePair('user=a b') // false
 */
export function isCookiePair(value: string): boolean {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1 || value.length > 512) return false;
  return cookieNameShape.test(value.slice(0, eq)) && cookieValueShape.test(value.slice(eq + 1));
}

/**
 * Problems with the keys of a setting given per namespace and per service (`{"namespaces": {"shop": …},
 * "services": {"shop/catalog": …}}`), each with the path of its key, so that a message says what a key must be.
 *
 * @example settingKeyProblems({ services: { catalog: [] } }) // [{ path: ['services', 'catalog'], message: 'services are named …' }]
 */
export function settingKeyProblems(setting: {
  readonly namespaces?: object;
  readonly services?: object;
}): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  for (const key of Object.keys(setting.namespaces ?? {}))
    if (!isDnsLabel(key))
      problems.push({
        path: ['namespaces', key],
        message: 'namespace names are Kubernetes labels: lowercase letters, digits and -, at most 63',
      });
  for (const key of Object.keys(setting.services ?? {})) {
    const [namespace, service, ...rest] = key.split('/');
    if (rest.length > 0 || !isDnsLabel(namespace ?? '') || !isDnsLabel(service ?? ''))
      problems.push({
        path: ['services', key],
        message: 'services are named namespace/service, e.g. shop/checkout',
      });
  }
  return problems;
}
