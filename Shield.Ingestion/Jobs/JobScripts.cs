using System.Reflection;

namespace Shield.Ingestion.Jobs;

/// <summary>
/// The Lua scripts that move a job's Redis state and append its events in one atomic step, one <c>.lua</c> file each
/// under <c>Jobs/Scripts</c> (embedded in this assembly, read once). Because the state change and the event are one
/// step, a chunk delivered twice is counted once and every job gets exactly one <c>ingestion.started</c> and exactly
/// one terminal event, however many workers race on it. Each file's header says what its KEYS and ARGV are.
/// </summary>
internal static class JobScripts
{
    public static readonly string BeginChunks = Load("begin.lua") + Load("begin_chunks.lua");

    public static readonly string ReadAndBeginChunks = Load("begin.lua") + Load("read_and_begin_chunks.lua");

    public static readonly string RecordChunkOutcomes = Load("record_chunk_outcomes.lua");

    public static readonly string FinalizeJob = Load("finalize_job.lua");

    public static readonly string Cancel = Load("cancel.lua");

    public static readonly string Requeue = Load("requeue.lua");

    private static string Load(string file)
    {
        var name = $"{typeof(JobScripts).Namespace}.Scripts.{file}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded script {name} is missing from {Assembly.GetExecutingAssembly().GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
