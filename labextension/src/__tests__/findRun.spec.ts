import { findRun, filterString } from '../findRun';
import { StudioRequestError } from '../handler';
import type { ISearchRunsOptions } from '../api/tracking';
import type { Run, RunList } from '../api/types';
import { makeRun } from './compareFixtures';

/** Runs searched as the server would for the two filters findRun sends. */
class Finder {
  constructor(readonly runs: Run[]) {}
  searches: ISearchRunsOptions[] = [];
  async searchRuns(options: ISearchRunsOptions): Promise<RunList> {
    this.searches.push(options);
    const unquote = (text: string) => text.replace(/\\(.)/g, '$1');
    const byName = /name = '((?:[^'\\]|\\.)*)'$/.exec(options.filter ?? '')!;
    const byId = /^id = '((?:[^'\\]|\\.)*)' or /.exec(options.filter ?? '');
    const found = this.runs
      .filter(
        run =>
          run.name === unquote(byName[1]) ||
          (byId !== null && run.id === unquote(byId[1]))
      )
      .sort((a, b) => b.start_time - a.start_time);
    return {
      runs: found.slice(0, options.maxResults),
      next_page_token: null,
      total: null,
      tree: null
    };
  }
}

function named(id: string, name: string, start: number): Run {
  return { ...makeRun(id, {}, {}), name, start_time: start };
}

describe('findRun', () => {
  const runs = [
    named('a1', 'baseline', 1000),
    named('b2', 'baseline', 2000),
    named('c3', "it's \\ odd", 500),
    named('d4', 'a1', 3000)
  ];

  it('finds a run by its id first, in one search', async () => {
    const finder = new Finder(runs);
    expect((await findRun(finder, ' a1 '))!.id).toBe('a1');
    expect(finder.searches).toEqual([
      {
        filter: "id = 'a1' or name = 'a1'",
        orderBy: ['start_time DESC'],
        maxResults: 2
      }
    ]);
  });

  it('finds the most recent run of a name', async () => {
    const finder = new Finder(runs);
    expect((await findRun(finder, 'baseline'))!.id).toBe('b2');
    expect((await findRun(finder, "it's \\ odd"))!.id).toBe('c3');
    expect(finder.searches[1].filter).toBe("name = 'it\\'s \\\\ odd'");
  });

  it('answers null for nothing, and lets errors through', async () => {
    const finder = new Finder(runs);
    expect(await findRun(finder, 'nope')).toBeNull();
    expect(await findRun(finder, '   ')).toBeNull();
    finder.searchRuns = async () => {
      throw new StudioRequestError(500, 'The store failed.');
    };
    await expect(findRun(finder, 'a1')).rejects.toThrow('The store failed.');
  });

  it('quotes text for the filter language', () => {
    expect(filterString("a'b\\c")).toBe("'a\\'b\\\\c'");
  });
});
