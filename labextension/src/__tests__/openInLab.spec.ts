import type { Contents } from '@jupyterlab/services';

import {
  artifactCopyPath,
  saveArtifactCopy,
  serverPath
} from '../widgets/openInLab';

describe('serverPath', () => {
  it('makes an absolute source relative to the server root', () => {
    expect(serverPath('/home/me/work/nb/train.ipynb', '/home/me/work')).toBe(
      'nb/train.ipynb'
    );
    expect(serverPath('/home/me/work/train.ipynb', '/home/me/work/')).toBe(
      'train.ipynb'
    );
    expect(
      serverPath('C:\\Users\\me\\work\\a.ipynb', 'C:\\Users\\me\\work')
    ).toBe('a.ipynb');
    expect(serverPath('/srv/a.ipynb', '/')).toBe('srv/a.ipynb');
  });

  it('is null outside the root, and keeps paths already relative', () => {
    expect(serverPath('/home/me/other/a.ipynb', '/home/me/work')).toBeNull();
    expect(serverPath('/home/me/workshop/a.ipynb', '/home/me/work')).toBeNull();
    expect(serverPath('nb/a.ipynb', '/home/me/work')).toBe('nb/a.ipynb');
    expect(serverPath('./a.ipynb', '/x')).toBe('a.ipynb');
    expect(serverPath('../a.ipynb', '/x')).toBeNull();
  });

  it('reads a root given from the home folder', () => {
    expect(serverPath('/home/me/work/a.ipynb', '~/work')).toBe('a.ipynb');
    expect(serverPath('/root/a.ipynb', '~')).toBe('a.ipynb');
    expect(serverPath('/opt/work/a.ipynb', '~/work')).toBeNull();
  });
});

describe('saveArtifactCopy', () => {
  function fakeContents(): {
    contents: Contents.IManager;
    saved: [string, Partial<Contents.IModel>][];
  } {
    const saved: [string, Partial<Contents.IModel>][] = [];
    const contents = {
      save: async (path: string, options: Partial<Contents.IModel>) => {
        saved.push([path, options]);
        return { path } as Contents.IModel;
      }
    } as unknown as Contents.IManager;
    return { contents, saved };
  }

  it('creates the folders, then saves a text file', async () => {
    const { contents, saved } = fakeContents();
    const path = await saveArtifactCopy(
      contents,
      'abc',
      'logs/train.txt',
      'hello'
    );
    expect(path).toBe(artifactCopyPath('abc', 'logs/train.txt'));
    expect(path).toBe('studio-artifacts/abc/logs/train.txt');
    expect(saved.map(([p, o]) => [p, o.type])).toEqual([
      ['studio-artifacts', 'directory'],
      ['studio-artifacts/abc', 'directory'],
      ['studio-artifacts/abc/logs', 'directory'],
      ['studio-artifacts/abc/logs/train.txt', 'file']
    ]);
    expect(saved[3][1]).toMatchObject({ format: 'text', content: 'hello' });
  });

  it('saves a notebook as a notebook, and broken JSON as text', async () => {
    const { contents, saved } = fakeContents();
    await saveArtifactCopy(
      contents,
      'abc',
      'report.ipynb',
      '{"cells": [], "nbformat": 4}'
    );
    expect(saved[saved.length - 1][1]).toMatchObject({
      type: 'notebook',
      format: 'json',
      content: { cells: [], nbformat: 4 }
    });
    await saveArtifactCopy(contents, 'abc', 'broken.ipynb', '{');
    expect(saved[saved.length - 1][1]).toMatchObject({
      type: 'file',
      content: '{'
    });
  });
});
