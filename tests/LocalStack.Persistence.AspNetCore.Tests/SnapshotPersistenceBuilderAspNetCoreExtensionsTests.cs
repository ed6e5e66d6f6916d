using LocalStack.Persistence.AspNetCore.Aws;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LocalStack.Persistence.AspNetCore.Tests;

public sealed class SnapshotPersistenceBuilderAspNetCoreExtensionsTests
{
    [Test]
    public void A_resolver_made_by_a_factory_gets_its_constructor_arguments_from_the_container_and_replaces_the_earlier_one()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new RouteTable("todo"));
        services.AddSnapshotPersistence()
            .UseServiceRequestResolver<PrefixResolver>()
            .UseServiceRequestResolver(sp => new PrefixResolver(sp.GetRequiredService<RouteTable>(), mutatingMethod: "PUT"));
        using var provider = services.BuildServiceProvider();

        var resolvers = provider.GetServices<IServiceRequestResolver>().ToArray();
        Assert.That(resolvers, Has.Length.EqualTo(1));
        var resolver = (PrefixResolver)resolvers[0];
        Assert.That(resolver.Routes.Service, Is.EqualTo("todo"));
        Assert.That(resolver.MutatingMethod, Is.EqualTo("PUT"));
        Assert.That(provider.GetRequiredService<IServiceRequestResolver>(), Is.SameAs(resolver), "a singleton");
    }

    [Test]
    public void The_aws_resolver_is_registered_with_its_default_service()
    {
        var services = new ServiceCollection();
        services.AddSnapshotPersistence().UseServiceRequestResolver<PrefixResolver>().UseAwsServiceRequestResolver(defaultServiceName: "s3");
        using var provider = services.BuildServiceProvider();

        var resolver = provider.GetServices<IServiceRequestResolver>().Single();
        Assert.That(resolver, Is.InstanceOf<AwsServiceRequestResolver>());
        Assert.That(((AwsServiceRequestResolver)resolver).DefaultServiceName, Is.EqualTo("s3"));
    }

    [Test]
    public void An_invalid_default_service_name_is_refused_at_registration()
    {
        var builder = new ServiceCollection().AddSnapshotPersistence();
        var error = Assert.Throws<ArgumentException>(() => builder.UseAwsServiceRequestResolver(defaultServiceName: "S3 bucket"));
        Assert.That(error!.Message, Does.Contain("Invalid service name"));
    }

    private sealed record RouteTable(string Service);

    private sealed class PrefixResolver(RouteTable routes, string mutatingMethod) : IServiceRequestResolver
    {
        public PrefixResolver()
            : this(new RouteTable("none"), "POST")
        {
        }

        public RouteTable Routes { get; } = routes;

        public string MutatingMethod { get; } = mutatingMethod;

        public ValueTask<ServiceRequest?> ResolveAsync(HttpContext context, CancellationToken cancellationToken = default)
            => ValueTask.FromResult<ServiceRequest?>(new ServiceRequest(Routes.Service, context.Request.Method == MutatingMethod));
    }
}
