// Prints one plain closing line ("jest: N passed, N failed, N skipped") that any CI can read.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const {
      numPassedTests: passed,
      numFailedTests: failed,
      numPendingTests: skipped,
      numTodoTests: todo,
    } = results;
    const broken = results.numRuntimeErrorTestSuites;
    process.stdout.write(`\njest: ${passed} passed, ${failed + broken} failed, ${skipped + todo} skipped\n`);
  }
}
