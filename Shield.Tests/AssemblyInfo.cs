// Each collection starts a whole stack (Redis, PostgreSQL, Api, Workers); on a two-core machine two stacks at
// once only make both slower and their timings noisier, so collections run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
