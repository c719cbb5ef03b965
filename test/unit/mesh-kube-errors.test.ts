import { ApiException } from '@kubernetes/client-node';
import { MeshError } from '../../src/app/ports/mesh-errors.js';
import { admissionRefusal, toMeshError } from '../../src/mesh/istio/kube-errors.js';

const istioSays =
  'admission webhook "validation.istio.io" denied the request: configuration is invalid: "headers": error parsing regexp: invalid escape sequence: `\\Z`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)';

describe('a refusal by an admission webhook', () => {
  it("names Istio and keeps Istio's own message", () => {
    expect(admissionRefusal(istioSays)).toEqual({
      by: "Istio's validating webhook",
      message: `${istioSays.split('denied the request: ')[1]}.`,
    });
    expect(admissionRefusal('something else')).toBeUndefined();
  });

  it("becomes MeshError('rejected') with a sentence that quotes Istio", () => {
    const error = new ApiException(400, 'Bad Request', JSON.stringify({ message: istioSays }), {});

    const mesh = toMeshError(error, 'update VirtualService reviews');

    expect(mesh).toBeInstanceOf(MeshError);
    expect(mesh.code).toBe('rejected');
    expect(mesh.message).toBe(
      `Istio's validating webhook refused to update VirtualService reviews: ${istioSays.split('denied the request: ')[1]}.`,
    );
    expect(mesh.cause).toBe(error);
  });

  it('keeps the plain Kubernetes sentence for other refusals', () => {
    const error = new ApiException(
      422,
      'Unprocessable',
      JSON.stringify({ message: 'spec.hosts: Required' }),
      {},
    );
    expect(toMeshError(error, 'update VirtualService reviews').message).toBe(
      'Kubernetes refused to update VirtualService reviews: spec.hosts: Required.',
    );
  });

  it('says what RBAC refused, never as whom nor where', () => {
    const said =
      'virtualservices.networking.istio.io "reviews" is forbidden: User "arn:aws:sts::123456789012:assumed-role/canary-bot-prod-worker/1733390000" cannot patch resource "virtualservices" in API group "networking.istio.io" in the namespace "bookinfo" (https://ABCDEF0123.gr7.eu-west-1.eks.amazonaws.com:443, 10.0.12.7:443)';
    const error = new ApiException(403, 'Forbidden', JSON.stringify({ message: said }), {});

    const mesh = toMeshError(error, 'update VirtualService reviews');

    expect(mesh.code).toBe('forbidden');
    expect(mesh.message).toBe(
      'Kubernetes RBAC does not allow the bot to update VirtualService reviews: virtualservices.networking.istio.io "reviews" is forbidden: the bot cannot patch resource "virtualservices" in API group "networking.istio.io" in the namespace "bookinfo" (its endpoint, its address).',
    );
    expect(mesh.message).not.toMatch(/arn:|123456789012|amazonaws|10\.0\./);
    expect(mesh.cause).toBe(error);
  });
});
