namespace CalicoAlp.Core.Policy.Comparison
{
    /// <summary>Which side of a comparison a policy set is: what applies now (Reference) or the proposed change (Difference).</summary>
    public enum PolicySetRole
    {
        Reference,
        Difference,
    }
}
