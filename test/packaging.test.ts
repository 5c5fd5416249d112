import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, ensureBuilt, freePort, startGatewayProcess } from './gateway-process.js';

/**
 * Issue 12, packaging (ADR 0021). No Docker daemon runs here, so the image is checked for the
 * invariants that can be read from its files: the build happens at install or in the build stage,
 * the runtime stage runs the compiled gateway as an unprivileged user, and the compose file wires
 * two instances behind a proxy whose address alone is trusted. Then the compiled gateway is run as
 * the image runs it, in production mode on an empty data directory, and asked for /health.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
// js-yaml comes with ESLint (a development dependency); it has no types of its own.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface Stage {
  name: string;
  lines: string[];
}

/** The Dockerfile's stages and their instructions (continuation lines joined, comments dropped). */
function stagesOf(dockerfile: string): Stage[] {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? `stage${stages.length}`, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe('package.json: the build happens at install, npm start runs built code', () => {
  const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

  it('start runs dist/src/main.js and builds nothing', () => {
    expect(scripts.start).toMatch(/^node (--enable-source-maps )?dist\/src\/main\.js$/);
    expect(scripts.prestart).toBeUndefined();
    expect(scripts.poststart).toBeUndefined();
  });

  it('prepare builds, so npm ci leaves a runnable dist/; bench builds first; cauri runs built code', () => {
    expect(scripts.prepare).toBe('npm run build');
    expect(scripts.build).toMatch(/^tsc -p tsconfig\.build\.json$/);
    expect(scripts.bench).toMatch(/^npm run build && node /);
    expect(scripts.cauri).toMatch(/^node (--enable-source-maps )?dist\/src\/cli\/main\.js$/);
  });
});

describe('deploy/docker/Dockerfile', () => {
  const stages = stagesOf(read('deploy/docker/Dockerfile'));
  const runtime = stages.at(-1) as Stage;
  const build = stages.find((stage) => stage.name === 'build');

  it('is multi-stage: the build stage compiles and prunes the development dependencies', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    const commands = build?.lines.filter((line) => line.startsWith('RUN')).join('\n') ?? '';
    expect(commands).toMatch(/npm ci .*--ignore-scripts/);
    expect(commands).toContain('npm rebuild better-sqlite3');
    expect(commands).toMatch(/npm run build && npm prune --omit=dev/);
  });

  it('the runtime stage copies built code, runs it as a non-root user, with no compiler at start', () => {
    const copies = runtime.lines.filter((line) => line.startsWith('COPY'));
    expect(copies.every((line) => line.includes('--from=build'))).toBe(true);
    expect(copies.some((line) => /\/app\/dist\/src\b/.test(line))).toBe(true);
    expect(copies.some((line) => /\/app\/src\b/.test(line))).toBe(false);
    // Nothing in the runtime stage installs, builds or compiles.
    expect(runtime.lines.filter((line) => line.startsWith('RUN')).join('\n')).not.toMatch(
      /npm|tsc|yarn|pnpm/,
    );
    const users = runtime.lines.filter((line) => line.startsWith('USER'));
    expect(users).toEqual(['USER node']);
    expect(runtime.lines.findIndex((line) => line.startsWith('USER'))).toBeLessThan(
      runtime.lines.findIndex((line) => line.startsWith('CMD')),
    );
    const cmd = runtime.lines.find((line) => line.startsWith('CMD')) ?? '';
    expect(JSON.parse(cmd.slice(3).trim())).toEqual(['node', '--enable-source-maps', 'dist/src/main.js']);
    expect(runtime.lines.some((line) => line.startsWith('ENTRYPOINT'))).toBe(false);
  });

  it('runs in production mode, has a data volume for SQLite and a health check on /health', () => {
    const env = runtime.lines.filter((line) => line.startsWith('ENV')).join(' ');
    expect(env).toMatch(/CAURI_MODE=production/);
    // The image does not choose SQLite for its user (ADR 0009): CAURI_DATA_DIR stays unset.
    expect(env).not.toMatch(/CAURI_DATA_DIR/);
    expect(runtime.lines).toContain('VOLUME ["/var/lib/cauri"]');
    expect(runtime.lines.find((line) => line.startsWith('HEALTHCHECK'))).toMatch(/\/health'/);
  });

  it('.dockerignore keeps local state, modules and secrets out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const entry of ['node_modules', 'dist', 'data', '.git', '.env', '*.sqlite'])
      expect(ignored).toContain(entry);
  });
});

describe('deploy/docker/compose.yaml', () => {
  type Service = {
    image?: string;
    environment?: Record<string, string>;
    healthcheck?: { test: string[] };
    ports?: string[];
    networks?: unknown;
    volumes?: string[];
    user?: string;
  };
  const compose = yaml.load(read('deploy/docker/compose.yaml')) as {
    services: Record<string, Service>;
    networks: Record<string, { ipam?: { config: { subnet: string }[] } }>;
  };
  const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('gateway-'));

  it('has PostgreSQL 16 on a volume and two gateway instances of one image, on PostgreSQL, with distinct instance ids', () => {
    const postgres = compose.services.postgres;
    expect(postgres?.image).toBe('postgres:16');
    expect(postgres?.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(gateways).toHaveLength(2);
    expect(new Set(gateways.map(([, s]) => s.image))).toEqual(new Set(['cauri:latest']));
    const ids = gateways.map(([, s]) => s.environment?.CAURI_INSTANCE_ID);
    expect(new Set(ids).size).toBe(2);
    for (const [, service] of gateways) {
      expect(service.environment?.CAURI_MODE).toBe('production');
      expect(service.environment?.DATABASE_URL).toMatch(
        /^postgres:\/\/cauri:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/cauri$/,
      );
      expect(service.healthcheck?.test.join(' ')).toContain('/ready');
      expect(service.ports).toBeUndefined();
    }
  });

  it('puts a round-robin nginx on port 8080 in front, and trusts X-Forwarded-For from its address only', () => {
    const proxy = compose.services.proxy as Service & { networks: Record<string, { ipv4_address: string }> };
    expect(proxy.ports).toEqual(['8080:8080']);
    const proxyAddress = proxy.networks.edge?.ipv4_address ?? '';
    expect(compose.networks.edge?.ipam?.config[0]?.subnet).toBe('172.28.0.0/24');
    for (const [, service] of gateways) expect(service.environment?.CAURI_TRUST_PROXY).toBe(proxyAddress);
    const nginx = read('deploy/nginx/cauri.conf');
    for (const [name] of gateways) expect(nginx).toContain(`server ${name}:8080`);
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(nginx).not.toMatch(/non_idempotent/);
    expect(proxy.volumes).toContain('../nginx/cauri.conf:/etc/nginx/conf.d/default.conf:ro');
  });
});

describe('deploy/systemd/cauri.service', () => {
  const unit = read('deploy/systemd/cauri.service');
  const settings = new Map(
    unit
      .split('\n')
      .filter((line) => /^[A-Za-z]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('runs the built gateway as the cauri user, restarts on failure, reads an environment file', () => {
    expect(settings.get('ExecStart')).toBe('/usr/bin/node --enable-source-maps /opt/cauri/dist/src/main.js');
    expect(settings.get('User')).toBe('cauri');
    expect(settings.get('Restart')).toBe('on-failure');
    expect(settings.get('EnvironmentFile')).toBe('/etc/cauri/cauri.env');
  });

  it('is hardened and may write only its data directory', () => {
    expect(settings.get('NoNewPrivileges')).toBe('yes');
    expect(settings.get('ProtectSystem')).toBe('strict');
    expect(settings.get('ReadWritePaths')).toBe('/var/lib/cauri');
    expect(settings.get('StateDirectory')).toBe('cauri');
    expect(settings.get('CapabilityBoundingSet')).toBe('');
  });
});

describe('deploy/systemd/cauri-backup.service and .timer', () => {
  it('run the checked SQLite backup as the cauri user on a schedule, and may write only the data and backup directories', () => {
    const service = read('deploy/systemd/cauri-backup.service');
    expect(service).toMatch(
      /^ExecStart=.*\/opt\/cauri\/dist\/src\/cli\/main\.js backup "\/var\/backups\/cauri\/cauri-/m,
    );
    expect(service).toMatch(/^User=cauri$/m);
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(service).toMatch(/^ProtectSystem=strict$/m);
    expect(service).toMatch(/^ReadWritePaths=\/var\/lib\/cauri \/var\/backups\/cauri$/m);
    const timer = read('deploy/systemd/cauri-backup.timer');
    expect(timer).toMatch(/^OnCalendar=\S+$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
  });
});

describe('the built gateway, as the image runs it', () => {
  let dataDir: string;
  let gateway: GatewayProcess | undefined;

  beforeAll(async () => {
    await ensureBuilt();
    dataDir = mkdtempSync(path.join(tmpdir(), 'cauri-packaging-'));
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts in production mode on an empty data directory and answers /health', async () => {
    const port = await freePort();
    gateway = await startGatewayProcess(
      { CAURI_MODE: 'production', CAURI_DATA_DIR: dataDir, NODE_ENV: 'production' },
      port,
    );
    expect(gateway.stdout.join('')).toContain('Cauri production gateway listening on');
    const health = await fetch(`${gateway.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', mode: 'production' });
    // Production has no sandbox routes: the process really is in production mode.
    expect((await fetch(`${gateway.url}/sandbox/sms`)).status).toBe(404);
  });
});
