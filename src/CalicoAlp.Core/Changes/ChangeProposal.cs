namespace CalicoAlp.Core.Changes
{
    /// <summary>One change put to the <see cref="IChangeGate"/>: the target ("Namespace shop (context 'prod')"), the action text and optional details (a diff).</summary>
    public sealed record ChangeProposal(string Target, string Action, string? Details);
}
