using System;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CalicoAlp.Testing.Faults;

/// <summary>Certificate helpers: a self-signed loopback server certificate, and upstream verification against a given CA.</summary>
public static class Certificates
{
    /// <summary>
    /// Creates a self-signed, CA-capable ECDSA P-256 certificate (cheap to generate, unlike RSA on a loaded machine) (with private key) valid for IP 127.0.0.1 and DNS localhost.
    /// Because it is its own issuer, its PEM can be used directly as a kubeconfig certificate-authority-data.
    /// </summary>
    public static X509Certificate2 CreateSelfSignedServerCertificate(string commonName = "CalicoAlp FaultProxy")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication") }, critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(7));
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>PEM ("-----BEGIN CERTIFICATE-----") of the public part of a certificate.</summary>
    public static string ToPem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    /// <summary>Parses one or more PEM certificates (a CA bundle).</summary>
    public static X509Certificate2Collection ParsePem(string pem)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        if (collection.Count == 0)
        {
            throw new ArgumentException("No PEM certificate found.", nameof(pem));
        }
        return collection;
    }

    /// <summary>
    /// Validates a server certificate against exactly the given trust anchors (custom root trust; the system store is not used).
    /// Host name mismatches are rejected too.
    /// </summary>
    public static bool ValidateAgainst(X509Certificate2Collection trustAnchors, X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustAnchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        if (!chain.Build(leaf))
        {
            return false;
        }
        var root = chain.ChainElements[chain.ChainElements.Count - 1].Certificate;
        foreach (var anchor in trustAnchors)
        {
            if (anchor.RawDataMemory.Span.SequenceEqual(root.RawDataMemory.Span))
            {
                return true;
            }
        }
        return false;
    }
}
