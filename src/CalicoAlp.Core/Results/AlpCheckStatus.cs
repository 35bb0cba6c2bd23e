namespace CalicoAlp.Core.Results
{
    /// <summary>The verdict of one Get-AlpStatus check.</summary>
    public enum AlpCheckStatus
    {
        /// <summary>The check found what ALP needs.</summary>
        Pass,
        /// <summary>ALP works, but something deserves attention (permissive mTLS, an undocumented release, ...).</summary>
        Warn,
        /// <summary>ALP does not work (or breaks traffic) until this is fixed.</summary>
        Fail,
        /// <summary>The check does not apply to this cluster's generation (e.g. native sidecars before Istio 1.22).</summary>
        NotApplicable,
        /// <summary>The check could not run: the user may not read what it needs (403), or a check it depends on failed.</summary>
        Skipped,
    }
}
