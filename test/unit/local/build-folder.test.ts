import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFolderFor, ownerPid, removeBuildFolder, sweepBuildFolders } from '../../../local/build-folder';
import { runCleanups } from '../../../local/lifecycle';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function serviceDirWith(entries: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'c2c-build-folder-'));
  dirs.push(dir);
  for (const entry of entries) {
    const functions = path.join(dir, '.local', 'offline-build', entry, '.build', 'functions');
    mkdirSync(functions, { recursive: true });
    writeFileSync(path.join(functions, 'agents.js'), '// bundle');
  }
  return dir;
}

describe('ownerPid', () => {
  it.each([
    ['3000-4242', 4242],
    ['65535-1', 1],
    ['3000', undefined], // the port-only naming of older stacks: not attributable
    ['3000-0', undefined],
    ['3000-abc', undefined],
    ['x-4242', undefined],
    ['3000-4242-extra', undefined],
    ['..', undefined],
  ])('%s -> %s', (entry, pid) => {
    expect(ownerPid(entry)).toBe(pid);
  });
});

describe('buildFolderFor', () => {
  it('names the folder by port and owning process, under .local/offline-build', () => {
    expect(buildFolderFor(3000, 77)).toBe(path.join('.local', 'offline-build', '3000-77'));
    expect(buildFolderFor(3000)).toBe(path.join('.local', 'offline-build', `3000-${process.pid}`));
  });
});

describe('sweepBuildFolders', () => {
  it("removes only the folders of processes that are gone, leaving running stacks' and unattributable ones", () => {
    const dir = serviceDirWith(['3000-100', '3001-200', '3002-100', '4000', 'notes']);
    const removed = sweepBuildFolders(dir, (pid) => pid === 200);
    expect(removed.sort()).toEqual(['3000-100', '3002-100']);
    expect(readdirSync(path.join(dir, '.local', 'offline-build')).sort()).toEqual(['3001-200', '4000', 'notes']);
  });

  it('keeps the folder of this very process', () => {
    const dir = serviceDirWith([`3000-${process.pid}`]);
    expect(sweepBuildFolders(dir)).toEqual([]);
    expect(existsSync(path.join(dir, buildFolderFor(3000)))).toBe(true);
  });

  it('does nothing where no stack ever built', () => {
    const dir = serviceDirWith([]);
    expect(sweepBuildFolders(dir)).toEqual([]);
  });
});

describe('removeBuildFolder', () => {
  it('removes the folder and everything in it, and is quiet when it is already gone', () => {
    const dir = serviceDirWith(['3000-100']);
    const folder = path.join('.local', 'offline-build', '3000-100');
    removeBuildFolder(dir, folder);
    expect(existsSync(path.join(dir, folder))).toBe(false);
    expect(() => removeBuildFolder(dir, folder)).not.toThrow();
  });
});

describe('runCleanups', () => {
  it('runs every cleanup, last pushed first, even past one that throws before returning a promise', async () => {
    const ran: string[] = [];
    const cleanups: Array<() => Promise<void>> = [
      () => {
        ran.push('first');
        return Promise.resolve();
      },
      () => {
        ran.push('throws');
        throw new Error('ENOTEMPTY');
      },
      () => {
        ran.push('rejects');
        return Promise.reject(new Error('closed'));
      },
      () => {
        ran.push('last');
        return Promise.resolve();
      },
    ];
    await expect(runCleanups(cleanups)).resolves.toBeUndefined();
    expect(ran).toEqual(['last', 'rejects', 'throws', 'first']);
    expect(cleanups).toHaveLength(0);
  });
});
