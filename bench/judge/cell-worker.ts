/** A worker thread of the judge benchmark: runs the cells it is sent and posts their results back. */
import { parentPort } from 'node:worker_threads';
import { type CellTask, runCell } from './benchmark.js';

parentPort?.on('message', (task: CellTask) => {
  parentPort?.postMessage(runCell(task));
});
