/**
 * The dependency rule, checked over the real import graph: the domain imports only the domain, the use
 * cases only the domain and their own ports, adapters never import each other, and nothing that ships to
 * Lambda imports the local environment or the tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One source file and what it imports: repository-relative paths for relative imports, names for packages. */
interface ImportingFile {
  file: string;
  imports: string[];
}

/** Where a file belongs in the architecture. */
type Layer = 'domain' | 'ports' | 'app' | 'adapter' | 'config' | 'handlers' | 'outside';

const ADAPTERS = ['chat', 'mesh', 'metrics', 'store', 'flagger', 'queue', 'smoke', 'webhook'];

/** Packages the pure layers may use: libraries of pure functions, no I/O. */
const PURE_PACKAGES: Record<'domain' | 'ports' | 'app', readonly string[]> = {
  domain: ['zod', 're2js', 'rrule-temporal'],
  ports: [],
  app: ['zod', 'node:crypto'],
};

function layerOf(file: string): { layer: Layer; adapter?: string } {
  const parts = file.split('/');
  if (parts[0] === 'handlers') return { layer: 'handlers' };
  if (parts[0] !== 'src') return { layer: 'outside' };
  if (parts[1] === 'domain') return { layer: 'domain' };
  if (parts[1] === 'app') return { layer: parts[2] === 'ports' ? 'ports' : 'app' };
  if (parts[1] !== undefined && ADAPTERS.includes(parts[1])) return { layer: 'adapter', adapter: parts[1] };
  return { layer: 'config' };
}

/** The rule broken by one import, or undefined. Pure, so its own test can feed it a bad import. */
function violation(from: string, imported: string): string | undefined {
  const source = layerOf(from);
  const isPackage = !imported.includes('/') || !/^(src|handlers|local|test|bench|scripts)\//.test(imported);
  if (source.layer === 'outside') return undefined;
  if (isPackage) {
    if (source.layer === 'domain' || source.layer === 'ports' || source.layer === 'app') {
      const name = imported.startsWith('@')
        ? imported.split('/').slice(0, 2).join('/')
        : imported.split('/')[0];
      return PURE_PACKAGES[source.layer].includes(name ?? '')
        ? undefined
        : `${source.layer} code may not use the package ${imported}`;
    }
    return undefined;
  }
  const target = layerOf(imported);
  if (target.layer === 'outside')
    return `shipped code may not import ${imported} (local environment or tests)`;
  switch (source.layer) {
    case 'domain':
      return target.layer === 'domain' ? undefined : 'the domain imports only the domain';
    case 'ports':
      return target.layer === 'domain' || target.layer === 'ports'
        ? undefined
        : 'ports import only the domain and other ports';
    case 'app':
      return ['domain', 'ports', 'app'].includes(target.layer)
        ? undefined
        : 'use cases import only the domain, the use cases and their ports';
    case 'adapter':
      if (target.layer === 'adapter' && target.adapter !== source.adapter)
        return `adapters never import each other (${source.adapter} -> ${target.adapter})`;
      if (target.layer === 'handlers' || target.layer === 'config')
        return 'adapters are given their settings; they do not read the composition root';
      return undefined;
    case 'config':
      return target.layer === 'handlers' ? 'configuration does not import handlers' : undefined;
    case 'handlers':
      return undefined;
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function importsOf(file: string): ImportingFile {
  const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
  const imports = info.importedFiles.map(({ fileName }) =>
    fileName.startsWith('.')
      ? relative(root, resolve(root, dirname(file), fileName)).replace(/\.js$/, '.ts')
      : fileName,
  );
  return { file, imports };
}

describe('the dependency rule', () => {
  const graph = [...sourceFiles('src'), ...sourceFiles('handlers')].map(importsOf);

  it('reads a graph of the whole shipped code', () => {
    expect(graph.length).toBeGreaterThan(100);
    expect(graph.some((f) => f.file.startsWith('src/app/ports/'))).toBe(true);
  });

  it('holds for every import of src/ and handlers/', () => {
    const broken = graph.flatMap(({ file, imports }) =>
      imports.flatMap((imported) => {
        const rule = violation(file, imported);
        return rule ? [`${file} imports ${imported}: ${rule}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('refuses deliberate bad imports', () => {
    expect(violation('src/domain/release/decide.ts', 'src/mesh/istio/istio-router.ts')).toMatch(/domain/);
    expect(violation('src/domain/release/decide.ts', '@kubernetes/client-node')).toMatch(/package/);
    expect(violation('src/app/tick.ts', 'src/metrics/index.ts')).toMatch(/use cases/);
    expect(violation('src/app/tick.ts', 'axios')).toMatch(/package/);
    expect(violation('src/app/ports/traffic-router.ts', 'src/app/tick.ts')).toMatch(/ports/);
    expect(violation('src/chat/slack/slack-worker.ts', 'src/metrics/index.ts')).toMatch(/chat -> metrics/);
    expect(violation('src/mesh/istio/istio-router.ts', 'src/config.ts')).toMatch(/settings/);
    expect(violation('src/queue/sqs-job-queue.ts', 'src/store/open-store.ts')).toMatch(/queue -> store/);
    expect(violation('src/chat/views/release-card.ts', 'local/slack/slack-emulator.ts')).toMatch(/local/);
    expect(violation('handlers/worker.ts', 'test/unit/release-fixtures.ts')).toMatch(/tests/);
  });

  it('allows what the architecture means', () => {
    expect(violation('src/app/tick.ts', 'src/app/ports/metrics-reader.ts')).toBeUndefined();
    expect(violation('src/chat/slack/slack-worker.ts', 'src/app/release-actions.ts')).toBeUndefined();
    expect(violation('src/mesh/istio/istio-router.ts', 'src/app/ports/traffic-router.ts')).toBeUndefined();
    expect(violation('handlers/worker.ts', 'src/mesh/istio/istio-router.ts')).toBeUndefined();
  });
});
