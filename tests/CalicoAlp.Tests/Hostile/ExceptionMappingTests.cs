using System;
using System.IO;
using System.Net.Http;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using Xunit;

namespace CalicoAlp.Tests.Hostile
{
    /// <summary>The one mapping of raw .NET exceptions to our errors (issue 13: they reached users as NotSpecified, no target).</summary>
    public sealed class ExceptionMappingTests
    {
        public static TheoryData<Exception, string, AlpErrorKind> Cases => new()
        {
            { new IOException("disk"), "FileIOError", AlpErrorKind.InvalidOperation },
            { new FileNotFoundException("gone"), "FileNotFound", AlpErrorKind.ObjectNotFound },
            { new UnauthorizedAccessException("no"), "FileAccessDenied", AlpErrorKind.PermissionDenied },
            { new FormatException("bad"), "ValueFormatInvalid", AlpErrorKind.InvalidData },
            { new YamlDotNet.Core.YamlException("bad yaml"), "YamlInvalid", AlpErrorKind.InvalidData },
            { new JsonException("bad json", null, 3, 1), "JsonInvalid", AlpErrorKind.InvalidData },
            { new HttpRequestException("refused"), "ApiServerUnreachable", AlpErrorKind.ConnectionError },
            { new HttpRequestException("tls", new AuthenticationException("remote certificate invalid")), "ApiServerCertificateInvalid", AlpErrorKind.SecurityError },
            { new TaskCanceledException("slow"), "OperationTimedOut", AlpErrorKind.OperationTimeout },
            { new CryptographicException("pem"), "CryptographyFailed", AlpErrorKind.AuthenticationError },
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public void Each_raw_exception_gets_our_id_kind_and_target(Exception raw, string id, AlpErrorKind kind)
        {
            var mapped = ExceptionMapping.ToAlp(raw, "the-target");
            Assert.NotNull(mapped);
            Assert.Equal(id, mapped!.ErrorId);
            Assert.Equal(kind, mapped.Kind);
            Assert.NotNull(mapped.Target);
            Assert.Same(raw, mapped.InnerException);
        }

        [Fact]
        public void Our_errors_cancellation_and_bugs_are_left_alone()
        {
            Assert.Null(ExceptionMapping.ToAlp(new AlpException("X", AlpErrorKind.InvalidData, "x")));
            Assert.Null(ExceptionMapping.ToAlp(new OperationCanceledException()));
            Assert.Null(ExceptionMapping.ToAlp(new NullReferenceException()));
        }
    }
}
